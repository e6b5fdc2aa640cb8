"""Allocation semantics against the real apiserver, one YAML case at a time.

Each case (allocation_cases.yaml) gets its own pool namespace, its own Service namespaces and
its own controller process with its own loadBalancerClass. Steps run in order; each `expect`
waits until every named Service shows exactly the given IPs (or an AllocationFailed event with
the given reason and no IP, or stays without IP).

Step keys: create, delete, patch (Service), pool (patch a pool's spec), delete_pool,
restart (SIGKILL the controller and start it again), expect.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Cluster, eventually

CASES = yaml.safe_load((Path(__file__).with_name("allocation_cases.yaml")).read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_allocation(case: dict[str, Any], cluster: Cluster, controllers: Any) -> None:
    pools_ns = cluster.namespace("pools")
    unclassed = bool(case.get("unclassed"))
    lb_class = None if unclassed else f"t{cluster.run_id}.test/lb"
    namespaces = {"apps": cluster.namespace("apps")}
    for logical, labels in (case.get("namespaces") or {}).items():
        namespaces[logical] = cluster.namespace(logical, labels)
    for pool in case["pools"]:
        cluster.pool(pools_ns, pool["name"], pool["spec"])
    start = lambda: controllers(pools_ns, lb_class=lb_class,  # noqa: E731
                                claim_unclassed=unclassed)
    ctl = start()
    located: dict[str, str] = {}  # service name -> real namespace

    for number, step in enumerate(case["steps"], 1):
        where = f"case {case['name']!r} step {number}"
        if "create" in step:
            spec = dict(step["create"])
            name = spec["name"]
            located[name] = namespaces[spec.get("namespace", "apps")]
            svc_class = spec.get("class", lb_class)
            cluster.service(located[name], name, lb_class=svc_class,
                            annotations=spec.get("annotations"), spec=spec.get("spec"),
                            labels=spec.get("labels"))
        if "delete" in step:
            cluster.core.delete_namespaced_service(step["delete"], located[step["delete"]])
        if "patch" in step:
            patch = dict(step["patch"])
            name = patch.pop("name")
            body: dict[str, Any] = {}
            if "annotations" in patch:
                body["metadata"] = {"annotations": patch["annotations"]}
            if "spec" in patch:
                body["spec"] = patch["spec"]
            cluster.core.patch_namespaced_service(name, located[name], body)
        if "pool" in step:
            cluster.patch_pool(pools_ns, step["pool"]["name"], step["pool"]["spec"])
        if "delete_pool" in step:
            cluster.delete_pool(pools_ns, step["delete_pool"])
        if step.get("restart"):
            ctl.kill()
            ctl = start()
        for name, wanted in (step.get("expect") or {}).items():
            _expect(cluster, located[name], name, wanted, f"{where}: {name}", ctl)


def _expect(cluster: Cluster, namespace: str, name: str, wanted: dict[str, Any], where: str,
            ctl: Any) -> None:
    if "ips" in wanted:
        want = sorted(wanted["ips"])
        try:
            eventually(lambda: sorted(cluster.ips(namespace, name) or []) == want, 15,
                       what=f"{where} to show {want}")
        except AssertionError:
            raise AssertionError(f"{where}: wanted {want}, has {cluster.ips(namespace, name)};"
                                 f" events {_events(cluster, namespace, name)}\n{ctl.log()}") from None
    elif "failed" in wanted:
        reason = wanted["failed"]

        def failed() -> bool:
            return any(reason in (e.message or "")
                       for e in cluster.events(namespace, name, "AllocationFailed"))
        try:
            eventually(failed, 15, what=f"{where} to fail with {reason}")
        except AssertionError:
            raise AssertionError(f"{where}: no AllocationFailed {reason}; events "
                                 f"{_events(cluster, namespace, name)}\n{ctl.log()}") from None
        assert not cluster.ips(namespace, name), f"{where}: failed but shows an IP"
    elif wanted.get("none"):
        time.sleep(1.5)
        assert not cluster.ips(namespace, name), f"{where}: should have been left alone"
        assert not cluster.events(namespace, name), f"{where}: should have no events"
    else:
        raise AssertionError(f"{where}: unknown expectation {wanted}")


def _events(cluster: Cluster, namespace: str, name: str) -> list[str]:
    return [f"{e.reason}: {e.message}" for e in cluster.events(namespace, name)]
