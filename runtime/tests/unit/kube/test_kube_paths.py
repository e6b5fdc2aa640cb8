from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.kube.paths import object_key, parse_path, resource_label, resource_path, verb_of

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "paths.yaml").read_text())


@pytest.mark.parametrize("case", CASES["build"], ids=lambda c: c["path"])
def test_resource_path(case: dict[str, Any]) -> None:
    assert resource_path(*case["args"]) == case["path"]


@pytest.mark.parametrize("case", CASES["build_errors"], ids=lambda c: c["error"])
def test_resource_path_errors(case: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=case["error"]):
        resource_path(*case["args"])


@pytest.mark.parametrize("case", CASES["parse"], ids=lambda c: c["path"])
def test_parse_path(case: dict[str, Any]) -> None:
    info = parse_path(case["path"])
    assert [info.group_version, info.namespace, info.resource, info.name,
            info.subresource] == case["parts"]
    assert verb_of("GET", info) == case["verb_get"]
    assert resource_label(info) == case["label"]


@pytest.mark.parametrize("case", CASES["verbs"], ids=lambda c: f"{c['method']} {c['path']}")
def test_verb_of(case: dict[str, Any]) -> None:
    assert verb_of(case["method"], parse_path(case["path"]), case.get("watch", False)) \
        == case["verb"]


def test_every_built_path_parses_back() -> None:
    for case in CASES["build"]:
        api_version, plural, namespace, *rest = case["args"]
        info = parse_path(case["path"])
        assert (info.group_version, info.resource) == (api_version, plural)
        if plural != "namespaces":
            assert info.namespace == namespace
        assert info.name == (rest[0] if rest else None)


def test_object_key() -> None:
    assert object_key({"metadata": {"namespace": "a", "name": "b"}}) == "a/b"
    assert object_key({"metadata": {"name": "node1"}}) == "node1"
    with pytest.raises(ValueError):
        object_key({})
