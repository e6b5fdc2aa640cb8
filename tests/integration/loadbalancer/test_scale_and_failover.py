"""1,000 Services created concurrently, two controller replicas, the leader killed mid-burst:
every Service gets an IP, no IP is given twice, nothing is lost."""

from __future__ import annotations

import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conftest import Cluster, eventually

SERVICES = 1000
POOL = ipaddress.ip_network("198.18.16.0/22")  # 1,024 addresses: 1,000 fit, barely


def _holder(cluster: Cluster, namespace: str) -> str | None:
    lease = cluster.coordination.read_namespaced_lease("baremetal-lb-controller", namespace)
    return lease.spec.holder_identity


def test_thousand_services_two_replicas_leader_killed(cluster: Cluster,
                                                      controllers: Any) -> None:
    pools = cluster.namespace("pools")
    apps = cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    cluster.pool(pools, "big", {"addresses": [str(POOL)]})
    replicas = {name: controllers(pools, lb_class=lb_class, leader_elect=True, identity=name)
                for name in ("replica-a", "replica-b")}
    leader = eventually(lambda: _holder(cluster, pools), 20, what="a leader")
    replicas[leader].wait_leading()
    standby = next(r for name, r in replicas.items() if name != leader)

    names = [f"svc-{n:04d}" for n in range(SERVICES)]
    killed_at: list[int] = []

    def create(name: str) -> None:
        cluster.service(apps, name, lb_class=lb_class)

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = []
        for index, name in enumerate(names):
            futures.append(pool.submit(create, name))
            if index == SERVICES // 3:
                # Mid-burst, once the leader has demonstrably written some IPs.
                eventually(lambda: _count_ips(cluster, apps) > 50, 60, interval=0.5,
                           what="the leader to allocate")
                replicas[leader].kill()
                killed_at.append(_count_ips(cluster, apps))
        for future in futures:
            future.result()

    started = time.monotonic()
    eventually(lambda: _count_ips(cluster, apps) == SERVICES, 180, interval=1,
               what=f"all {SERVICES} Services to get an IP "
                    f"(standby log:\n{standby.log()[-2000:]})")
    after_kill = time.monotonic() - started
    assert _holder(cluster, pools) == standby.identity

    services = cluster.core.list_namespaced_service(apps).items
    ips = [i.ip for s in services for i in (s.status.load_balancer.ingress or [])]
    assert len(ips) == SERVICES, "a Service has more or fewer than one IP"
    duplicates = {ip for ip in ips if ips.count(ip) > 1} if len(set(ips)) != len(ips) else set()
    assert not duplicates, f"IPs given twice: {sorted(duplicates)[:10]}"
    assert all(ipaddress.ip_address(ip) in POOL for ip in ips)
    assert killed_at and 0 < killed_at[0] < SERVICES
    print(f"leader killed after {killed_at[0]} IPs; the standby finished in {after_kill:.1f}s")
    assert standby.metric("baremetal_lb_pool_addresses_in_use", pool="big",
                          family="ipv4") == SERVICES


def _count_ips(cluster: Cluster, namespace: str) -> int:
    services = cluster.core.list_namespaced_service(namespace).items
    return sum(1 for s in services if s.status.load_balancer.ingress)
