"""import_legacy: golden files (legacy_cases/*.input.yaml -> *.expected.yaml) and error cases.

The goldens are reviewed files; the tests only read them. *.expected.yaml are written by hand
and compared structurally; *.printed.yaml are the exact text `baremetal-lb import-configmap`
prints, rewritten only by `make golden` (tests/golden.py). Every object the importer emits is
also checked against the structure of our own CRD schemas, so an importer field that the
apiserver would reject (or prune) fails here already.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from crd_schema_check import problems

import baremetal_lb
from baremetal_lb.config.crds import crds
from baremetal_lb.config.errors import ConfigError
from baremetal_lb.config.legacy import import_legacy

CASES = Path(__file__).parent / "legacy_cases"
sys.path.insert(0, str(Path(__file__).parents[2]))
from golden import import_configmap_argv  # noqa: E402  (tests/golden.py)

GOLDEN = yaml.safe_load((CASES / "cases.yaml").read_text())
ERRORS = yaml.safe_load((CASES / "errors.yaml").read_text())


def _schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of that served version."""
    found = {}
    for crd in crds():
        for version in crd["spec"]["versions"]:
            api_version = f"{crd['spec']['group']}/{version['name']}"
            found[api_version, crd["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]
    return found


def _run(case: dict[str, Any]) -> list[dict[str, Any]]:
    text = (CASES / f"{case['case']}.input.yaml").read_text()
    if "namespace" in case:
        return import_legacy(text, namespace=case["namespace"])
    return import_legacy(text)


@pytest.mark.parametrize("case", GOLDEN, ids=[c["case"] for c in GOLDEN])
def test_golden(case: dict[str, Any]) -> None:
    expected = list(yaml.safe_load_all((CASES / f"{case['case']}.expected.yaml").read_text()))
    actual = _run(case)
    assert [(o["kind"], o["metadata"]["name"]) for o in actual] == \
        [(o["kind"], o["metadata"]["name"]) for o in expected], "objects or their order differ"
    for got, want in zip(actual, expected, strict=True):
        assert got == want, f"{got['kind']} {got['metadata']['name']} differs"


@pytest.mark.parametrize("case", GOLDEN, ids=[c["case"] for c in GOLDEN])
def test_output_fits_our_crds(case: dict[str, Any]) -> None:
    schemas = _schemas()
    for obj in _run(case):
        schema = schemas[obj["apiVersion"], obj["kind"]]
        assert problems(schema, obj) == [], f"{obj['kind']} {obj['metadata']['name']}"


@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
def test_error(case: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as raised:
        import_legacy(case["config"])
    message = str(raised.value)
    assert message.startswith("legacy MetalLB config: ")
    for fragment in case["expect"]:
        assert fragment in message


@pytest.mark.parametrize("seed", ["0", "4242"])
@pytest.mark.parametrize("case", GOLDEN, ids=[c["case"] for c in GOLDEN])
def test_same_input_same_output(case: dict[str, Any], seed: str) -> None:
    """In a fresh process with its own hash seed (set and dict order must not leak into the
    output), the printed text equals the golden byte for byte."""
    env = dict(os.environ, PYTHONHASHSEED=seed,
               PYTHONPATH=str(Path(baremetal_lb.__file__).parents[1]))
    printed = subprocess.run(import_configmap_argv(case), env=env, check=True,
                             capture_output=True, text=True).stdout
    assert printed == (CASES / f"{case['case']}.printed.yaml").read_text()


@pytest.mark.parametrize("case", GOLDEN, ids=[c["case"] for c in GOLDEN])
def test_printed_golden_holds_the_reviewed_objects(case: dict[str, Any]) -> None:
    printed = list(yaml.safe_load_all((CASES / f"{case['case']}.printed.yaml").read_text()))
    assert printed == list(yaml.safe_load_all((CASES / f"{case['case']}.expected.yaml").read_text()))


def test_empty_config_gives_no_objects() -> None:
    assert import_legacy("") == []
    assert import_legacy("address-pools: []\npeers: []\n") == []
    configmap = "{apiVersion: v1, kind: ConfigMap, metadata: {name: config}, data: {config: ''}}"
    assert import_legacy(configmap) == []


def test_configmap_and_bare_text_agree() -> None:
    wrapped = (CASES / "configmap-full.input.yaml").read_text()
    bare = yaml.safe_load(wrapped)["data"]["config"]
    assert import_legacy(bare, namespace="x") == import_legacy(wrapped, namespace="x")


def test_namespace_argument_must_be_a_name() -> None:
    with pytest.raises(ConfigError, match="namespace 'Bad_NS' is not a valid Kubernetes object name"):
        import_legacy("", namespace="Bad_NS")
