"""The collection ships the runtime's CRDs and manifests: the copies must not drift.

- roles/load_balancer/files/crds/ holds byte-for-byte copies of src/baremetal_lb/config/crds/
  (the runtime's files are the source; copy them over after a change);
- runtime/deploy/baremetal-lb.yaml is the load_balancer role's components.yml.j2 rendered for the
  layer-2 defaults (tests/unit/roles/golden/load_balancer_runtime.yaml in the collection, itself
  checked against the template by the collection's unit tests), less the labels the collection
  adds to what it manages;
- every container the role renders (layer 2, BGP with FRR, a site with its own class and
  interfaces) starts the entry point with flags it accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.cli import _parser

RUNTIME = Path(__file__).parents[2]
REPO = RUNTIME.parent
OURS = RUNTIME / "src" / "baremetal_lb" / "config" / "crds"
COPIES = REPO / "roles" / "load_balancer" / "files" / "crds"
GOLDEN = REPO / "tests" / "unit" / "roles" / "golden"
DEPLOY = RUNTIME / "deploy" / "baremetal-lb.yaml"
COLLECTION_LABELS = ("app.kubernetes.io/managed-by", "baremetal.exposure/site")

pytestmark = pytest.mark.skipif(not COPIES.is_dir(), reason="not in the collection's repository")


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _without_collection_labels(doc: dict[str, Any]) -> dict[str, Any]:
    labels = doc["metadata"].get("labels") or {}
    for key in COLLECTION_LABELS:
        labels.pop(key, None)
    if not labels:
        doc["metadata"].pop("labels", None)
    return doc


def test_the_role_ships_exactly_the_runtime_crds() -> None:
    assert sorted(p.name for p in COPIES.glob("*.yaml")) == sorted(p.name for p in OURS.glob("*.yaml"))
    for source in OURS.glob("*.yaml"):
        assert (COPIES / source.name).read_bytes() == source.read_bytes(), (
            f"roles/load_balancer/files/crds/{source.name} differs from the runtime's: "
            f"cp {source.relative_to(REPO)} {COPIES.relative_to(REPO)}/")


def test_deploy_manifest_is_the_role_rendered_for_the_defaults() -> None:
    rendered = [_without_collection_labels(d) for d in _docs(GOLDEN / "load_balancer_runtime.yaml")]
    assert _docs(DEPLOY) == rendered


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("load_balancer_*.yaml")), ids=lambda p: p.stem)
def test_every_rendered_container_runs_a_valid_command_line(golden: Path) -> None:
    workloads = [d for d in _docs(golden) if d["kind"] in ("Deployment", "DaemonSet")]
    assert workloads
    for workload in workloads:
        ours = workload["spec"]["template"]["spec"]["containers"][0]
        args = _parser().parse_args(ours["args"])
        assert args.func.__name__ == f"_{ours['name']}"
        assert args.namespace == workload["metadata"]["namespace"]
        assert args.metrics_address.endswith(f":{ours['ports'][0]['containerPort']}")
        if getattr(args, "bgp_engine", "none") == "frr":
            mounts = {m["name"]: m["mountPath"] for m in ours["volumeMounts"]}
            assert mounts["frr-sockets"] == args.frr_dir
