"""5,000 Services in one /18: every address distinct and inside the pool (no timing assert)."""

import ipaddress

from baremetal_lb.allocator import Allocator, Pool, Port, ServiceRequest


def test_five_thousand_services_in_one_slash_18() -> None:
    net = ipaddress.ip_network("198.18.0.0/18")
    alloc = Allocator()
    alloc.set_pools([Pool("bench", ((net.network_address, net.broadcast_address),), avoid_buggy_ips=True)])
    ips = []
    for i in range(5000):
        svc = ServiceRequest(
            key=f"bench/s{i}", namespace="bench", labels={}, namespace_labels={}, pool=None,
            requested_ips=(), families=(4,), family_policy="SingleStack", sharing_key=None,
            ports=frozenset({Port(80, "TCP")}), local_traffic=False, selector={}, current_ips=(),
        )
        ips.append(alloc.assign(svc).ips[0])
    assert len(set(ips)) == 5000
    assert all(ip in net and int(ip) & 0xFF not in (0, 255) for ip in ips)
    assert alloc.usage()["bench"].assigned_v4 == 5000
    for i in range(0, 5000, 2):
        alloc.release(f"bench/s{i}")
    assert alloc.usage()["bench"].assigned_v4 == 2500
