"""The controller under real conditions: restarts, an apiserver restart, steady state,
metrics and health, pool status, a legacy ConfigMap imported and used."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import yaml
from kubernetes import watch

from exposure_lab.kube.control_plane import KubeControlPlane

from conftest import BAREMETAL_LB, Cluster, eventually


def _burst(cluster: Cluster, namespace: str, count: int, lb_class: str | None) -> list[str]:
    names = [f"s{n:03d}" for n in range(count)]
    for name in names:
        cluster.service(namespace, name, lb_class=lb_class)
    return names


def _all_ips(cluster: Cluster, namespace: str, names: list[str]) -> dict[str, list[str]]:
    items = cluster.core.list_namespaced_service(namespace).items
    return {s.metadata.name: [i.ip for i in (s.status.load_balancer.ingress or [])]
            for s in items if s.metadata.name in names}


def test_restart_keeps_every_ip_and_writes_nothing(cluster: Cluster, controllers: Any) -> None:
    pools = cluster.namespace("pools")
    apps = cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    cluster.pool(pools, "web", {"addresses": ["198.18.0.0/24"]})
    ctl = controllers(pools, lb_class=lb_class)
    names = _burst(cluster, apps, 30, lb_class)
    eventually(lambda: all(_all_ips(cluster, apps, names).values()), 30, what="30 IPs")
    # Free a few low addresses so that a controller which re-allocated from scratch would
    # hand out different IPs.
    for name in names[:5]:
        cluster.core.delete_namespaced_service(name, apps)
    time.sleep(1)
    before = {s.metadata.name: (s.metadata.resource_version,
                                [i.ip for i in s.status.load_balancer.ingress or []])
              for s in cluster.core.list_namespaced_service(apps).items}
    ctl.kill()
    ctl = controllers(pools, lb_class=lb_class)
    ctl.wait_leading()
    time.sleep(2)
    after = {s.metadata.name: (s.metadata.resource_version,
                               [i.ip for i in s.status.load_balancer.ingress or []])
             for s in cluster.core.list_namespaced_service(apps).items}
    assert after == before, "a restart changed Services (it must only read them)"
    assert ctl.metric("baremetal_lb_pool_addresses_in_use", pool="web", family="ipv4") == 25


def test_survives_an_apiserver_restart(cluster: Cluster, controllers: Any, lab: Any) -> None:
    pools = cluster.namespace("pools")
    apps = cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    cluster.pool(pools, "web", {"addresses": ["198.18.1.0/24"]})
    ctl = controllers(pools, lb_class=lb_class)
    before = _burst(cluster, apps, 5, lb_class)
    eventually(lambda: all(_all_ips(cluster, apps, before).values()), 20, what="IPs")
    ips_before = _all_ips(cluster, apps, before)
    KubeControlPlane().restart_apiserver(lab)
    cluster.service(apps, "after", lb_class=lb_class)
    eventually(lambda: cluster.ips(apps, "after"), 60, what="an IP after the restart")
    assert cluster.ips(apps, "after") == ["198.18.1.5"], ctl.log()
    assert _all_ips(cluster, apps, before) == ips_before
    assert ctl.proc.poll() is None


def test_steady_state_makes_no_writes(cluster: Cluster, controllers: Any) -> None:
    pools = cluster.namespace("pools")
    apps = cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    cluster.pool(pools, "web", {"addresses": ["198.18.2.0/24"]})
    ctl = controllers(pools, lb_class=lb_class)
    names = _burst(cluster, apps, 20, lb_class)
    eventually(lambda: all(_all_ips(cluster, apps, names).values()), 30, what="20 IPs")
    time.sleep(2)  # pool status and events settle
    writes_before = _writes(ctl)
    modified: list[str] = []
    w = watch.Watch()
    resource_version = cluster.core.list_namespaced_service(apps).metadata.resource_version

    def watch_services() -> None:
        for event in w.stream(cluster.core.list_namespaced_service, apps,
                              resource_version=resource_version, timeout_seconds=8):
            modified.append(f"{event['type']} {event['object'].metadata.name}")

    watcher = threading.Thread(target=watch_services)
    watcher.start()
    watcher.join(15)
    w.stop()
    assert modified == [], f"Services changed in steady state: {modified}"
    assert _writes(ctl) == writes_before, "the controller wrote to the API in steady state"


def _writes(ctl: Any) -> dict[str, float]:
    _, text = ctl.get("/metrics")
    counts = {}
    for line in text.splitlines():
        if line.startswith("baremetal_lb_api_requests_total{") and 'verb="GET"' not in line \
                and 'verb="WATCH"' not in line and 'verb="LIST"' not in line:
            key, _, value = line.rpartition(" ")
            if "leases" not in key:
                counts[key] = float(value)
    return counts


def test_metrics_health_events_and_pool_status(cluster: Cluster, controllers: Any) -> None:
    pools = cluster.namespace("pools")
    apps = cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    cluster.pool(pools, "small", {"addresses": ["198.18.3.0-198.18.3.1", "2001:db8:18::/126"]})
    ctl = controllers(pools, lb_class=lb_class, leader_elect=True)
    ctl.wait_leading()
    assert ctl.get("/healthz")[0] == 200
    names = _burst(cluster, apps, 3, lb_class)
    eventually(lambda: cluster.events(apps, names[2], "AllocationFailed"), 20,
               what="the third Service to fail")
    event = cluster.events(apps, names[0], "IPAllocated")[0]
    assert event.type == "Normal" and "198.18.3.0" in event.message
    failed = cluster.events(apps, names[2], "AllocationFailed")[0]
    assert failed.type == "Warning" and "PoolExhausted" in failed.message
    # Gauges follow within a pool-status period (0.5-1 s), not per reconcile.
    eventually(lambda: ctl.metric("baremetal_lb_pool_addresses_in_use", pool="small",
                                  family="ipv4") == 2, 5, what="the in-use gauge")
    assert ctl.metric("baremetal_lb_pool_addresses_available", pool="small", family="ipv4") == 0
    assert ctl.metric("baremetal_lb_pool_addresses_available", pool="small", family="ipv6") == 4
    assert ctl.metric("baremetal_lb_allocation_failures_total", reason="PoolExhausted") == 1
    assert ctl.metric("baremetal_lb_leader") == 1
    assert (ctl.metric("baremetal_lb_reconcile_duration_seconds_count") or 0) >= 3
    status = eventually(lambda: cluster.get_pool(pools, "small").get("status", {})
                        .get("assignedIPv4") == 2 and cluster.get_pool(pools, "small")["status"],
                        10, what="pool status")
    assert status == {"assignedIPv4": 2, "availableIPv4": 0,
                      "assignedIPv6": 0, "availableIPv6": 4}


def test_legacy_configmap_imports_and_serves(cluster: Cluster, controllers: Any,
                                             tmp_path: Path) -> None:
    pools = cluster.namespace("pools")
    apps = cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    legacy = tmp_path / "config.yaml"
    legacy.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "config", "namespace": "metallb-system"},
        "data": {"config": yaml.safe_dump({"address-pools": [
            {"name": "legacy-l2", "protocol": "layer2", "addresses": ["198.18.4.10-198.18.4.11"]},
            {"name": "legacy-bgp", "protocol": "bgp", "auto-assign": False,
             "addresses": ["198.18.5.0/30"], "avoid-buggy-ips": True},
        ]})},
    }))
    out = subprocess.run([str(BAREMETAL_LB), "import-configmap", str(legacy),
                          "--namespace", pools], capture_output=True, text=True, check=True)
    objects = list(yaml.safe_load_all(out.stdout))
    kinds = sorted(o["kind"] for o in objects)
    assert kinds.count("IPAddressPool") == 2 and "L2Advertisement" in kinds \
        and "BGPAdvertisement" in kinds, kinds
    for obj in objects:
        group, version = obj["apiVersion"].split("/")
        plural = obj["kind"].lower() + "s"
        cluster.custom.create_namespaced_custom_object(group, version, pools, plural, obj)
    controllers(pools, lb_class=lb_class)
    cluster.service(apps, "auto", lb_class=lb_class)
    cluster.service(apps, "bgp", lb_class=lb_class,
                    annotations={"metallb.io/address-pool": "legacy-bgp"})
    eventually(lambda: cluster.ips(apps, "auto") == ["198.18.4.10"], 20, what="auto IP")
    eventually(lambda: cluster.ips(apps, "bgp") == ["198.18.5.1"], 20, what="bgp pool IP")
