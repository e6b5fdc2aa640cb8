"""Fixtures for router_bgp: FRR peers in the node namespaces and a rogue peer, and the
router's configuration restored afterwards (other engineers share the lab)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exposure_lab import Lab
from exposure_lab.config import CLUSTER_ASN, ROUTER_ASN
from exposure_lab.core import wait_for
from exposure_lab.frr import FrrInstance

PLAYBOOK = Path(__file__).parent / "playbooks" / "router_bgp.yml"
# The address_plan preflight, then the role, as playbooks/site.yml runs them.
PREFLIGHT_PLAYBOOK = Path(__file__).parent / "playbooks" / "preflight_then_router.yml"
PASSWORD = "lab-secret"
ROGUE_NETNS = "xl-rogue"
ROGUE_IPV4 = "198.51.100.66"
# The lab's BGP pool "routed": 203.0.113.0/26 and 203.0.113.64-203.0.113.79.
POOL_CIDRS = ["203.0.113.0/26", "203.0.113.64/28"]
NODES = ("node1", "node2", "node3")


def plan(lab: Lab, cidrs: list[str] | None = None,
         bgp: dict[str, Any] | None = None) -> dict[str, Any]:
    """exposure_plan as address_plan would set it (the parts router_bgp reads): ``bgp`` is
    exposure_bgp as the preflight normalizes it (defaults filled, the password only as
    password_set, the routers added)."""
    nodes = [{"name": n, "addresses": [lab.config.host(n).ipv4, lab.config.host(n).ipv6]}
             for n in NODES]
    settings = {"bfd": False, "password_required": False, "keepalive": 3, "hold_time": 9,
                "ebgp_multihop": 0, "maximum_prefix": 100, "maximum_prefix_restart": 1,
                "maximum_paths": 8}
    settings.update(bgp or bgp_settings())
    settings["password_set"] = bool(settings.pop("password", None))
    settings["routers"] = [{"name": "router1", "addresses": ["198.51.100.1"],
                            "router_id": "198.51.100.1"}]
    return {"site": "lab", "nodes": nodes, "bgp": settings, "pools": [{
        "name": "routed", "announce": "bgp", "purpose": "services",
        "cidrs": list(cidrs or POOL_CIDRS), "bgp": {"communities": ["64512:100"], "local_pref": 200},
    }, {"name": "services", "announce": "layer2", "cidrs": ["198.51.100.180/30"]}]}


def bgp_settings(**overrides: Any) -> dict[str, Any]:
    settings = {"router_asn": ROUTER_ASN, "cluster_asn": CLUSTER_ASN, "bfd": True,
                "password": PASSWORD, "password_required": True, "maximum_prefix": 5,
                "maximum_prefix_restart": 1}
    settings.update(overrides)
    return settings


def peer_config(router_id: str, networks: list[str], password: str | None, bfd: bool) -> str:
    """A cluster-side BGP speaker (a test fixture, like exposure_lab.frr.node_peer_config)."""
    router = "198.51.100.1"
    lines = ["frr defaults traditional", "log stdout informational", "!",
             f"router bgp {CLUSTER_ASN}", f" bgp router-id {router_id}",
             " no bgp default ipv4-unicast", " no bgp ebgp-requires-policy",
             " no bgp network import-check",
             f" neighbor {router} remote-as {ROUTER_ASN}", f" neighbor {router} timers 3 9"]
    if password:
        lines.append(f" neighbor {router} password {password}")
    if bfd:
        lines.append(f" neighbor {router} bfd")
    lines += [" address-family ipv4 unicast", f"  neighbor {router} activate",
              *(f"  network {n}" for n in networks), " exit-address-family", "exit", "!", ""]
    return "\n".join(lines)


class Peer:
    def __init__(self, lab: Lab, key: str, netns: str, router_id: str) -> None:
        self.frr = FrrInstance(lab, key, netns)
        self.router_id = router_id
        self.lab = lab

    def set(self, networks: list[str], password: str | None = PASSWORD, bfd: bool = True) -> None:
        config = peer_config(self.router_id, networks, password, bfd)
        if not all(self.frr.alive().values()):
            self.frr.stop()
            self.frr.start(config)
            return
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as handle:
            handle.write(config)
        try:
            self.lab.run(self.frr.reload_argv(handle.name, "--reload"), netns=self.frr.netns)
        finally:
            Path(handle.name).unlink()


@pytest.fixture(scope="module")
def router(lab: Lab) -> Iterator[FrrInstance]:
    """The lab router; its configuration as found is restored at the end."""
    frr = FrrInstance(lab, "frr-router", lab.config.router.netns)
    original = frr.vtysh("show running-config")
    saved = Path(tempfile.mkdtemp()) / "frr.conf"
    saved.write_text("\n".join(line for line in original.splitlines()
                               if line not in ("Building configuration...", "Current configuration:")))
    yield frr
    lab.run(frr.reload_argv(saved, "--reload"), netns=frr.netns, check=False)
    saved.unlink()


@pytest.fixture(scope="module")
def rogue_netns(lab: Lab) -> Iterator[str]:
    """A squatter on the LAN that is not a node."""
    cfg = lab.config
    lab.run(["ip", "netns", "add", ROGUE_NETNS])
    try:
        lab.run(["ip", "-n", ROGUE_NETNS, "link", "add", "eth0", "type", "veth", "peer", "name",
                 "v-rogue", "netns", cfg.lan_netns])
        lab.run(["ip", "-n", cfg.lan_netns, "link", "set", "v-rogue", "master", cfg.bridge, "up"])
        lab.run(["ip", "-n", ROGUE_NETNS, "link", "set", "lo", "up"])
        lab.run(["ip", "-n", ROGUE_NETNS, "addr", "add", f"{ROGUE_IPV4}/24", "dev", "eth0"])
        lab.run(["ip", "-n", ROGUE_NETNS, "link", "set", "eth0", "up"])
        yield ROGUE_NETNS
    finally:
        lab.run(["ip", "-n", cfg.lan_netns, "link", "del", "v-rogue"], check=False)
        lab.run(["ip", "netns", "del", ROGUE_NETNS], check=False)


@pytest.fixture(scope="module")
def peers(lab: Lab, rogue_netns: str) -> Iterator[dict[str, Peer]]:
    found = {n: Peer(lab, f"frr-{n}", lab.config.host(n).netns, lab.config.host(n).ipv4)
             for n in NODES}
    found["rogue"] = Peer(lab, "frr-rogue", rogue_netns, ROGUE_IPV4)
    try:
        yield found
    finally:
        for peer in found.values():
            peer.frr.stop()


def established(router: FrrInstance, address: str) -> bool:
    data = router.vtysh_json(f"show bgp neighbor {address} json")
    return data.get(address, {}).get("bgpState") == "Established"


def wait_established(router: FrrInstance, addresses: list[str], timeout: float = 40) -> None:
    for address in addresses:
        wait_for(f"router session with {address} Established",
                 lambda a=address: established(router, a), timeout=timeout, interval=0.5,
                 on_timeout=lambda a=address: router.vtysh(f"show bgp neighbor {a}", check=False))
