"""Which node announces which IP in layer 2: the layer-2 protocol's pure plan."""

from __future__ import annotations

import ipaddress
from typing import Any

from baremetal_lb.config import config_for
from baremetal_lb.net.links import Link, select_links
from baremetal_lb.speaker.balancers import EXCLUDE_LABEL, Inputs, NodeInfo, balancers
from baremetal_lb.speaker.layer2 import lan_link_patterns, lan_readiness, layer2_targets, owned, owners

IP = ipaddress.ip_address
LAN = Link(2, "eth0", b"\x02\x00\x00\x00\x00\x01", 0x1 | 0x10000,
           (ipaddress.IPv4Interface("198.51.100.11/24"),))
VLAN = Link(3, "vlan7", b"\x02\x00\x00\x00\x00\x02", 0x1 | 0x10000,
            (ipaddress.IPv4Interface("192.0.2.11/24"),))
NODES = [NodeInfo("node1", {}, True), NodeInfo("node2", {}, True), NodeInfo("node3", {}, True)]


def pool(name: str, *addresses: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "lb", "labels": labels or {},
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"addresses": list(addresses)}}


def advert(name: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "lb"}, "spec": spec}


def svc(name: str, ip: str, local: bool = False, cls: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "LoadBalancer",
                            "externalTrafficPolicy": "Local" if local else "Cluster"}
    if cls:
        spec["loadBalancerClass"] = cls
    return {"metadata": {"name": name, "namespace": "apps"}, "spec": spec,
            "status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}


def inputs(services: list[dict[str, Any]], *, adverts: list[dict[str, Any]] | None = None,
           pools: list[dict[str, Any]] | None = None, nodes: list[NodeInfo] | None = None,
           endpoints: dict[str, frozenset[str]] | None = None,
           links: dict[str, Link] | None = None) -> Inputs:
    every = frozenset({"node1", "node2", "node3"})
    config = config_for(
        pools=pools if pools is not None else [pool("lan", "198.51.100.240/29"),
                                               pool("vlan", "192.0.2.240/29")],
        l2_advertisements=adverts if adverts is not None else [advert("all")])
    return Inputs(
        node="node1", config=config,
        balancers=balancers(config, services, endpoints if endpoints is not None else {
            f"apps/{s['metadata']['name']}": every for s in services}, None, True),
        nodes=nodes if nodes is not None else NODES,
        links=links if links is not None else {"eth0": LAN})


def test_eligible_nodes_and_interface() -> None:
    targets = layer2_targets(inputs([svc("web", "198.51.100.241")]))
    target = targets[IP("198.51.100.241")]
    assert target.eligible == {"node1", "node2", "node3"}
    assert target.interface == "eth0" and target.pool == "lan" and target.services == ("apps/web",)


def test_ip_outside_every_pool_or_not_ours_is_ignored() -> None:
    targets = layer2_targets(inputs([svc("a", "203.0.113.5"),
                                     svc("b", "198.51.100.242", cls="other/lb")]))
    assert targets == {}


def test_a_node_not_on_the_ips_lan_is_no_candidate() -> None:
    target = layer2_targets(inputs([svc("v", "192.0.2.241")]))[IP("192.0.2.241")]
    assert target.interface is None
    target = layer2_targets(inputs([svc("v", "192.0.2.241")],
                                   links={"eth0": LAN, "vlan7": VLAN}))[IP("192.0.2.241")]
    assert target.interface == "vlan7"


def test_advertisement_selects_pools_nodes_and_interfaces() -> None:
    nodes = [NodeInfo("node1", {"zone": "a"}, True), NodeInfo("node2", {"zone": "b"}, True)]
    ads = [advert("a", ipAddressPools=["lan"], nodeSelectors=[{"matchLabels": {"zone": "a"}}],
                  interfaces=["eth0"])]
    targets = layer2_targets(inputs([svc("w", "198.51.100.241"), svc("v", "192.0.2.241")],
                                    adverts=ads, nodes=nodes,
                                    links={"eth0": LAN, "vlan7": VLAN}))
    assert targets[IP("198.51.100.241")].eligible == {"node1"}
    assert targets[IP("192.0.2.241")].eligible == frozenset()   # pool not advertised
    ads = [advert("sel", ipAddressPoolSelectors=[{"matchLabels": {"l2": "yes"}}])]
    pools = [pool("lan", "198.51.100.240/29", labels={"l2": "yes"})]
    targets = layer2_targets(inputs([svc("w", "198.51.100.241")], adverts=ads, pools=pools))
    assert targets[IP("198.51.100.241")].eligible == {"node1", "node2", "node3"}
    assert layer2_targets(inputs([svc("w", "198.51.100.241")], adverts=[])) \
        [IP("198.51.100.241")].eligible == frozenset()


def test_not_ready_and_excluded_nodes_do_not_announce() -> None:
    nodes = [NodeInfo("node1", {}, False), NodeInfo("node2", {EXCLUDE_LABEL: ""}, True),
             NodeInfo("node3", {}, True)]
    targets = layer2_targets(inputs([svc("w", "198.51.100.241")], nodes=nodes))
    assert targets[IP("198.51.100.241")].eligible == {"node3"}


def test_endpoints_decide_local_and_empty_services() -> None:
    services = [svc("local", "198.51.100.241", local=True), svc("empty", "198.51.100.242"),
                svc("cluster", "198.51.100.243")]
    targets = layer2_targets(inputs(services, endpoints={
        "apps/local": frozenset({"node2"}), "apps/cluster": frozenset({"node3"})}))
    assert targets[IP("198.51.100.241")].eligible == {"node2"}
    assert targets[IP("198.51.100.242")].eligible == frozenset()
    assert targets[IP("198.51.100.243")].eligible == {"node1", "node2", "node3"}


def test_services_sharing_an_ip_add_up() -> None:
    services = [svc("a", "198.51.100.241", local=True), svc("b", "198.51.100.241", local=True)]
    target = layer2_targets(inputs(services, endpoints={
        "apps/a": frozenset({"node1"}), "apps/b": frozenset({"node2"})}))[IP("198.51.100.241")]
    assert target.eligible == {"node1", "node2"} and target.services == ("apps/a", "apps/b")


def test_every_speaker_computes_the_same_owner_and_only_live_ones_win() -> None:
    services = [svc(f"s{n}", f"198.51.100.{240 + n}") for n in range(8)]
    targets = layer2_targets(inputs(services))
    everyone = frozenset({"node1", "node2", "node3"})
    all_alive = owners(targets, {"eth0": everyone})
    assert set(all_alive.values()) <= everyone and None not in all_alive.values()
    node2_dead = owners(targets, {"eth0": everyone - {"node2"}})
    for ip, node in all_alive.items():   # HRW: only the dead node's IPs move
        assert node2_dead[ip] == node if node != "node2" else node2_dead[ip] != "node2"
    mine = owned(targets, "node1", all_alive, ["eth0"])
    assert mine["eth0"] == {ip for ip, node in all_alive.items() if node == "node1"}
    assert owned(targets, "node1", owners(targets, {"eth0": frozenset()}), ["eth0"]) == \
        {"eth0": frozenset()}


def test_readiness_waits_for_every_lan_that_is_up_and_ignores_one_without_carrier() -> None:
    assert lan_readiness({}) == (False, "heartbeats warming up on no interface yet")
    assert lan_readiness({"eth0": (True, False)}) == (False, "heartbeats warming up on ['eth0']")
    assert lan_readiness({"eth0": (True, True), "eth1": (False, False)}) == (True, "ready")
    assert lan_readiness({"eth0": (True, True), "eth1": (True, False)})[0] is False
    assert lan_readiness({"eth1": (False, False)}) == \
        (False, "no LAN link up (carrier down on ['eth1'])")


def test_container_network_links_are_no_lan_unless_named() -> None:
    def link(index: int, name: str) -> Link:
        return Link(index, name, b"\x02\x00\x00\x00\x00\x09", 0x1 | 0x10000,
                    (ipaddress.IPv4Interface(f"198.19.{index}.1/24"),))
    links = {name: link(i, name) for i, name in enumerate(
        ["lo", "eth0", "cni0", "veth1a2b", "cali12", "flannel.1", "bond0"], 1)}
    chosen = [link.name for link in select_links(links, lan_link_patterns(()))]
    assert chosen == ["eth0", "bond0"]
    assert [link.name for link in select_links(links, lan_link_patterns(["cni0"]))] == ["cni0"]
