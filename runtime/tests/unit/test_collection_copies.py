"""The collection ships the runtime's CRDs and manifests: the copies must not drift.

- roles/load_balancer/files/crds/ holds byte-for-byte copies of src/baremetal_lb/config/crds/
  (the runtime's files are the source; copy them over after a change);
- runtime/deploy/baremetal-lb.yaml is the load_balancer role's components.yml.j2 rendered for the
  layer-2 defaults (tests/unit/roles/golden/load_balancer_runtime.yaml in the collection, itself
  checked against the template by the collection's unit tests), less the labels the collection
  adds to what it manages; runtime/deploy/speaker-bgp.yaml holds the objects of the BGP
  rendering (golden/load_balancer_runtime_bgp.yaml) that differ from those, so that applied
  after baremetal-lb.yaml it gives that rendering. `make deploy-manifests` writes all of them;
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
DEPLOY_BGP = RUNTIME / "deploy" / "speaker-bgp.yaml"
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


def _key(doc: dict[str, Any]) -> tuple[str, str | None, str]:
    return doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"]


def test_deploy_manifest_is_the_role_rendered_for_the_defaults() -> None:
    rendered = [_without_collection_labels(d) for d in _docs(GOLDEN / "load_balancer_runtime.yaml")]
    assert _docs(DEPLOY) == rendered, "run `make deploy-manifests`"


def test_the_bgp_manifest_over_the_layer2_one_is_the_role_rendered_for_bgp() -> None:
    layer2 = _docs(DEPLOY)
    overlay = _docs(DEPLOY_BGP)
    bgp = [_without_collection_labels(d) for d in _docs(GOLDEN / "load_balancer_runtime_bgp.yaml")]
    # Only what differs, and each object replaces the layer-2 one of the same kind and name.
    assert overlay and not [d for d in overlay if d in layer2]
    merged = {_key(d): d for d in layer2} | {_key(d): d for d in overlay}
    assert list(merged) == [_key(d) for d in bgp], "run `make deploy-manifests`"
    assert list(merged.values()) == bgp, "run `make deploy-manifests`"


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("load_balancer_*.yaml")), ids=lambda p: p.stem)
def test_every_rendered_container_runs_a_valid_command_line(golden: Path) -> None:
    workloads = [d for d in _docs(golden) if d["kind"] in ("Deployment", "DaemonSet")]
    assert workloads
    for workload in workloads:
        ours = workload["spec"]["template"]["spec"]["containers"][0]
        args = _parser().parse_args(ours["args"])
        assert args.func.__name__ == f"_{ours['name']}"
        assert args.namespace == workload["metadata"]["namespace"]
        # The probes reach the health endpoint (--health-address, else --metrics-address).
        ports = {p["name"]: p["containerPort"] for p in ours["ports"]}
        probe = ours["readinessProbe"]["httpGet"]["port"]
        assert (args.health_address or args.metrics_address).endswith(f":{ports.get(probe, probe)}")
        if getattr(args, "bgp_engine", "none") == "frr":
            mounts = {m["name"]: m["mountPath"] for m in ours["volumeMounts"]}
            assert mounts["frr-sockets"] == args.frr_dir
