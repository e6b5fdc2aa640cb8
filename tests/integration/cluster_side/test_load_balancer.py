"""The load_balancer role (and its pools entry point) on the lab's real nodes.

On a fresh cluster --check changes nothing and announces exactly what the real run then
changes; the controller and every speaker become Ready; the pools and advertisements are what
the plan says; a second run and a --check afterwards change nothing; removing a pool from the
plan removes it (and only what we wrote); the heartbeat key is never rotated; a Service gets an
address from the pools.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from typing import Any

import pytest

from cluster_side_lab import LB_NAMESPACE, OUR_LABELS, Kube, changed_tasks, eventually, ok, run_role

METALLB = "metallb.io/v1beta1"


def test_check_mode_on_a_fresh_cluster_changes_nothing(installed: Any) -> None:
    if not installed.fresh:
        pytest.skip("the load balancer was already installed when the session started")
    assert installed.snapshot_unchanged_by_check, "--check changed the cluster"
    assert sum(r.changed for r in installed.check_results) > 0, "--check announced no change"


def test_the_real_run_changes_what_check_mode_announced(installed: Any) -> None:
    if not installed.fresh:
        pytest.skip("the load balancer was already installed when the session started")
    for check, real in zip(installed.check_results, installed.first, strict=True):
        assert changed_tasks(real) == changed_tasks(check)


def test_controller_and_every_speaker_are_ready(installed: Any, kube: Kube, lab: Any) -> None:
    deployment = kube.get("apps/v1", "Deployment", "baremetal-lb-controller", LB_NAMESPACE)
    assert deployment["status"].get("availableReplicas") == 2
    speakers = kube.get("apps/v1", "DaemonSet", "baremetal-lb-speaker", LB_NAMESPACE)["status"]
    assert speakers["desiredNumberScheduled"] == len(lab.config.node_hosts)
    assert speakers["numberReady"] == speakers["desiredNumberScheduled"]
    pods = kube.objects("v1", "Pod", LB_NAMESPACE, "app.kubernetes.io/component=speaker")
    assert sorted(p["spec"]["nodeName"] for p in pods) == sorted(h.name for h in lab.config.node_hosts)
    container = kube.get("apps/v1", "DaemonSet", "baremetal-lb-speaker", LB_NAMESPACE)[
        "spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in container] == ["speaker"]  # layer 2 only: no FRR beside it
    assert container[0]["securityContext"]["capabilities"]["add"] == ["NET_RAW"]


def test_pools_and_advertisements_are_what_the_plan_says(installed: Any, kube: Kube, lab: Any) -> None:
    pools = {p["metadata"]["name"]: p for p in kube.objects(METALLB, "IPAddressPool", LB_NAMESPACE)}
    assert pools["ingress"]["spec"]["addresses"] == ["198.51.100.200-198.51.100.209"]
    assert pools["ingress"]["spec"]["autoAssign"] is False
    assert pools["services"]["spec"]["addresses"] == ["198.51.100.180-198.51.100.199",
                                                      "2001:db8:100::1:0/120"]
    for pool in ("ingress", "services"):
        assert OUR_LABELS.items() <= pools[pool]["metadata"]["labels"].items()
        ad = kube.get(METALLB, "L2Advertisement", pool, LB_NAMESPACE)
        assert ad["spec"]["ipAddressPools"] == [pool]
        (selector,) = ad["spec"]["nodeSelectors"]
        assert selector["matchExpressions"][0]["values"] == [h.name for h in lab.config.node_hosts]


def test_a_second_run_and_check_mode_afterwards_change_nothing(installed: Any) -> None:
    for result in installed.second + installed.check_after:
        assert result.changed == 0, changed_tasks(result)


def test_no_canary_is_left_behind(installed: Any, kube: Kube) -> None:
    names = [s["metadata"]["name"] for s in kube.objects("v1", "Service", LB_NAMESPACE)]
    assert not [n for n in names if n.startswith("baremetal-exposure-canary")]
    if installed.fresh:
        ran = {t["task"]["name"] for p in installed.first[1].plays for t in p.get("tasks", [])}
        assert (
            "baremetal.exposure.load_balancer : canary | Wait until each canary holds an address from its pool"
            in ran)


def test_a_service_gets_an_address_from_the_pools(installed: Any, kube: Kube) -> None:
    namespace = f"lb-{uuid.uuid4().hex[:6]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    try:
        kube.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": namespace},
                    "spec": {"type": "LoadBalancer", "selector": {"app": "none"},
                             "ports": [{"port": 80, "protocol": "TCP"}]}})
        ips = eventually(lambda: kube.service_ips(namespace, "web"), 60, what="an address")
        last = int(ips[0].rsplit(".", 1)[1])
        assert ips[0].startswith("198.51.100.") and 180 <= last <= 199  # services; ingress is not auto
    finally:
        kube.delete("v1", "Namespace", namespace)


def _secret_digest(kube: Kube) -> str:
    data = kube.get("v1", "Secret", "baremetal-lb-heartbeat", LB_NAMESPACE)["data"]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def test_the_heartbeat_key_is_never_rotated(installed: Any, ansible: Any, kube: Kube) -> None:
    before = _secret_digest(kube)
    result = ok(run_role(ansible, "load_balancer", installed.plan,
                         extra={"exposure_load_balancer": {"heartbeat_key": "00" * 32}}))
    assert result.changed == 0
    assert _secret_digest(kube) == before
    assert "it was kept (keys are never rotated by a run)" in result.stdout


def test_removing_a_pool_removes_it_and_only_what_we_wrote(installed: Any, ansible: Any, kube: Kube) -> None:
    # Someone else's pool, and one labelled as ours by hand: neither may be pruned.
    theirs: dict[str, Any] = {"apiVersion": METALLB, "kind": "IPAddressPool",
              "metadata": {"name": "theirs", "namespace": LB_NAMESPACE},
              "spec": {"addresses": ["198.51.100.60-198.51.100.61"], "autoAssign": False}}
    labelled = copy.deepcopy(theirs)
    labelled["metadata"].update(name="labelled-by-hand", labels=dict(OUR_LABELS))
    labelled["spec"]["addresses"] = ["198.51.100.62-198.51.100.63"]
    kube.apply(theirs, manager="kubectl")
    kube.apply(labelled, manager="kubectl")
    plan = copy.deepcopy(installed.plan)
    plan["pools"] = [p for p in plan["pools"] if p["name"] != "services"]
    try:
        result = ok(run_role(ansible, "load_balancer", plan, "pools"))
        assert (
            "baremetal.exposure.load_balancer : pools | Remove the pools and advertisements the inventory no longer has"
            in changed_tasks(result))
        assert kube.get(METALLB, "IPAddressPool", "services", LB_NAMESPACE) is None
        assert kube.get(METALLB, "L2Advertisement", "services", LB_NAMESPACE) is None
        assert kube.get(METALLB, "IPAddressPool", "ingress", LB_NAMESPACE) is not None
        assert kube.get(METALLB, "IPAddressPool", "theirs", LB_NAMESPACE) is not None
        assert kube.get(METALLB, "IPAddressPool", "labelled-by-hand", LB_NAMESPACE) is not None
    finally:
        kube.delete(METALLB, "IPAddressPool", "theirs", LB_NAMESPACE)
        kube.delete(METALLB, "IPAddressPool", "labelled-by-hand", LB_NAMESPACE)
        ok(run_role(ansible, "load_balancer", installed.plan, "pools"))
    assert kube.get(METALLB, "IPAddressPool", "services", LB_NAMESPACE) is not None


def test_a_bgp_pool_puts_frr_beside_every_speaker(installed: Any, ansible: Any, kube: Kube, lab: Any,
                                                  kubeconfig: str, images: dict[str, str]) -> None:
    """The BGP shape: FRR (zebra, bgpd, bfdd) in a container beside each speaker, sharing the
    vty socket directory, and the router's BGPPeer. The speaker drives FRR with vtysh and
    frr-reload.py, which its image must contain (an open point of runtime/Containerfile)."""
    from cluster_side_lab import lab_plan

    plan = lab_plan(lab, kubeconfig, images, bgp=True)
    try:
        ok(run_role(ansible, "load_balancer", plan))
        ok(run_role(ansible, "load_balancer", plan, "pools"))
        spec = kube.get("apps/v1", "DaemonSet", "baremetal-lb-speaker", LB_NAMESPACE)["spec"]["template"]["spec"]
        assert [c["name"] for c in spec["containers"]] == ["speaker", "frr"]
        pods = kube.objects("v1", "Pod", LB_NAMESPACE, "app.kubernetes.io/component=speaker")
        for pod in pods:
            statuses = {c["name"]: c for c in pod["status"]["containerStatuses"]}
            assert statuses["frr"]["ready"] and statuses["speaker"]["ready"], pod["metadata"]["name"]
        peer = kube.get("metallb.io/v1beta2", "BGPPeer", "router1-198-51-100-1", LB_NAMESPACE)
        assert peer["spec"]["peerAddress"] == lab.config.router.ipv4
        assert kube.get(METALLB, "BGPAdvertisement", "routed", LB_NAMESPACE) is not None
    finally:
        # Back to the layer-2 shape the other tests expect (the BGP objects are pruned).
        ok(run_role(ansible, "load_balancer", installed.plan))
        ok(run_role(ansible, "load_balancer", installed.plan, "pools"))
    assert kube.get("metallb.io/v1beta2", "BGPPeer", "router1-198-51-100-1", LB_NAMESPACE) is None
