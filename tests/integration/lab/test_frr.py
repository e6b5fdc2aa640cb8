"""FRR is a real router: it peers with a BGP speaker in a node namespace and installs routes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from exposure_lab import Lab
from exposure_lab.config import CLUSTER_ASN
from exposure_lab.core import wait_for
from exposure_lab.frr import FrrInstance, RouterFrr, node_peer_config

ANNOUNCED = "203.0.113.10/32"


@pytest.fixture
def node1_peer(lab: Lab) -> Iterator[tuple[FrrInstance, FrrInstance]]:
    router = RouterFrr().instance(lab)
    node = lab.config.node_hosts[0]
    router.vtysh("configure terminal", f"router bgp {lab.info('frr')['asn']}",
                 f"neighbor {node.ipv4} remote-as {CLUSTER_ASN}",
                 f"neighbor {node.ipv4} timers 3 9",
                 "address-family ipv4 unicast", f"neighbor {node.ipv4} activate")
    peer = FrrInstance(lab, f"frr-{node.name}", node.netns, daemons=("zebra", "bgpd"))
    peer.start(node_peer_config(lab, node.name, [f"  network {ANNOUNCED}"]))
    yield router, peer
    peer.stop()
    router.vtysh("configure terminal", f"router bgp {lab.info('frr')['asn']}",
                 f"no neighbor {node.ipv4}")


def test_router_runs_zebra_bgpd_staticd_and_bfdd(lab: Lab) -> None:
    status = RouterFrr().status(lab)
    assert status["up"], status
    assert status["daemons"] == {"zebra": True, "bgpd": True, "staticd": True, "bfdd": True}
    assert status["version"].startswith("FRRouting")


def test_bgp_session_with_a_node_reaches_established(lab: Lab, node1_peer) -> None:
    router, _ = node1_peer
    node = lab.config.node_hosts[0]
    router.wait_established(node.ipv4, timeout=30)
    state = router.vtysh_json(f"show bgp neighbor {node.ipv4} json")[node.ipv4]
    assert state["remoteAs"] == CLUSTER_ASN


def test_an_announced_route_reaches_the_router_kernel(lab: Lab, node1_peer) -> None:
    router, _ = node1_peer
    node = lab.config.node_hosts[0]
    router.wait_established(node.ipv4, timeout=30)

    def kernel_route() -> dict | None:
        out = lab.run(["ip", "-j", "route", "show", ANNOUNCED.split("/")[0]],
                      netns=lab.config.router.netns).stdout
        routes = json.loads(out or "[]")
        return routes[0] if routes else None

    route = wait_for("the announced /32 in the router's kernel", kernel_route, timeout=15)
    assert route["gateway"] == node.ipv4
    assert route["protocol"] == "bgp"
