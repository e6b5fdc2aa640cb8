"""The BGP side of the speaker in the lab, shared by the tests here and bench/bgp.py.

The router (xl-router's FRR, AS 64512) gets neighbours for the nodes: node1 and node2 over eBGP
(AS 64513, IPv4 and IPv6 sessions), node3 over iBGP (AS 64512, so local preference reaches the
router), all with an MD5 password and a 100 ms x 3 BFD profile, and ECMP (maximum-paths).
Each node runs its own FRR ("frr-<node>-bgptest", in the node's namespace) driven by
FrrEngine with the BgpConfig that bgp_config_for_node derives from metallb.io objects
(through the runtime's configuration model, as the speaker does).
"""

from __future__ import annotations

import ipaddress
import json
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from baremetal_lb.bgp.frr import FrrEngine
from baremetal_lb.speaker.bgp import NodeBgp, ServiceIP, bgp_config_for_node
from exposure_lab import Lab
from exposure_lab.config import CLUSTER_ASN, ROUTER_ASN
from exposure_lab.core import wait_for
from exposure_lab.frr import FrrInstance

PASSWORD = "blb-lab-secret"
EBGP_NODES = ("node1", "node2")
IBGP_NODE = "node3"
NODES = (*EBGP_NODES, IBGP_NODE)
POOL_V4 = "203.0.113.240-203.0.113.250"
POOL_V6 = "2001:db8:ffff::/124"      # outside the LAN: reachable only through a node
ROUTER_BFD = "blb-fast"
BFD_MS = 100                         # 3 x 100 ms: a dead node is noticed in ~300 ms


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "speaker-bgp", **extra}


def _selects(*nodes: str) -> list[dict[str, Any]]:
    return [{"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                   "values": list(nodes)}]}]


def metallb_objects(router_v4: str, router_v6: str) -> dict[str, list[dict[str, Any]]]:
    """BGPPeers, BFDProfile, Community, pools and advertisement as a cluster would hold them."""
    timers = {"holdTime": "9s", "keepaliveTime": "3s", "connectTime": "1s",
              "passwordSecret": {"name": "bgp-password", "namespace": "speaker-bgp"},
              "bfdProfile": "fast"}
    return {
        "peers": [
            {"metadata": _meta("router-v4"), "spec": {
                "myASN": CLUSTER_ASN, "peerASN": ROUTER_ASN, "peerAddress": router_v4,
                "nodeSelectors": _selects(*EBGP_NODES), **timers}},
            {"metadata": _meta("router-v6"), "spec": {
                "myASN": CLUSTER_ASN, "peerASN": ROUTER_ASN, "peerAddress": router_v6,
                "nodeSelectors": _selects(*EBGP_NODES), **timers}},
            {"metadata": _meta("router-ibgp"), "spec": {
                "myASN": ROUTER_ASN, "peerASN": ROUTER_ASN, "peerAddress": router_v4,
                "nodeSelectors": _selects(IBGP_NODE), **timers}},
        ],
        "bfd_profiles": [{"metadata": _meta("fast"), "spec": {
            "receiveInterval": BFD_MS, "transmitInterval": BFD_MS, "detectMultiplier": 3}}],
        "communities": [{"metadata": _meta("tags"), "spec": {
            "communities": [{"name": "web", "value": "64512:100"}]}}],
        "pools": [{"metadata": _meta("bgp"), "spec": {"addresses": [POOL_V4]}},
                  {"metadata": _meta("bgp6"), "spec": {"addresses": [POOL_V6]}}],
        "advertisements": [{"metadata": _meta("all"), "spec": {
            "ipAddressPools": ["bgp", "bgp6"], "communities": ["web", "large:64513:1:2"],
            "localPref": 250}}],
    }


class NodeSpeaker:
    """One node's FRR plus the engine that drives it, fed with Service IPs."""

    def __init__(self, lab: Lab, node: str) -> None:
        self.lab = lab
        self.node = node
        host = lab.config.host(node)
        self.address = host.ipv4
        self.address6 = host.ipv6
        self.frr = FrrInstance(lab, f"frr-{node}-bgptest", host.netns)
        router = lab.config.router
        self.objects = metallb_objects(router.ipv4, router.ipv6)
        self.engine = FrrEngine(self.frr.dir)

    def start(self) -> None:
        self.frr.start("frr defaults traditional\nlog stdout informational\n!\n")
        self.engine.forget()

    def stop(self) -> None:
        self.engine.close()
        self.frr.stop()

    def link_local(self) -> str:
        """The IPv6 next hop the router installs for this node (FRR prefers link-local)."""
        out = self.lab.run(["ip", "-6", "-j", "addr", "show", "dev", "eth0", "scope", "link"],
                           netns=self.frr.netns).stdout
        return next(str(a["local"]) for a in json.loads(out)[0]["addr_info"] if "local" in a)

    def node_bgp(self, ips: Iterable[str]) -> NodeBgp:
        service_ips = [ServiceIP(ipaddress.ip_address(ip), "bgp6" if ":" in ip else "bgp")
                       for ip in ips]
        return bgp_config_for_node(
            self.node, {"kubernetes.io/hostname": self.node},
            peers=self.objects["peers"], advertisements=self.objects["advertisements"],
            pools=self.objects["pools"], ips=service_ips,
            bfd_profiles=self.objects["bfd_profiles"], communities=self.objects["communities"],
            passwords={"bgp-password": PASSWORD},
            node_address=ipaddress.IPv4Address(self.address))

    def announce(self, *ips: str) -> None:
        result = self.node_bgp(ips)
        assert not result.problems, result.problems
        self.engine.apply(result.config)


def ensure_node_ipv6(lab: Lab) -> None:
    """Put back a node's documented IPv6 address if a link flap flushed it (the lab keeps
    net.ipv6.conf.all.keep_addr_on_down=0, so any `ip link set eth0 down` in a node drops it)."""
    for node in NODES:
        host = lab.config.host(node)
        shown = lab.run(["ip", "-6", "addr", "show", "dev", "eth0"], netns=host.netns).stdout
        if f"{host.ipv6}/" not in shown:
            lab.run(["ip", "addr", "add", f"{host.ipv6}/64", "dev", "eth0", "nodad"],
                    netns=host.netns)


def router_commands(lab: Lab, running: str = "") -> list[str]:
    """The router's side for NODES. A neighbour the `running` config already has is removed
    first (site.yml's router_bgp makes each node a peer-group member, whose remote-as cannot be
    overridden); `RouterSide.restore` puts it back."""
    lines = ["bfd", f" profile {ROUTER_BFD}", f"  receive-interval {BFD_MS}",
             f"  transmit-interval {BFD_MS}", " exit", "exit", f"router bgp {ROUTER_ASN}"]
    v4: list[str] = []
    v6: list[str] = []
    for node in NODES:
        host = lab.config.host(node)
        asn = ROUTER_ASN if node == IBGP_NODE else CLUSTER_ASN
        for address, family in ((host.ipv4, v4), (host.ipv6, v6)):
            if node == IBGP_NODE and family is v6:
                continue
            if f" neighbor {address} " in running:
                lines.append(f" no neighbor {address}")
            lines += [f" neighbor {address} remote-as {asn}",
                      f" neighbor {address} password {PASSWORD}",
                      f" neighbor {address} timers 3 9",
                      f" neighbor {address} timers connect 1",
                      f" neighbor {address} bfd profile {ROUTER_BFD}"]
            family.append(address)
    for name, family in (("ipv4", v4), ("ipv6", v6)):
        lines += [f" address-family {name} unicast", "  maximum-paths 8",
                  "  maximum-paths ibgp 8",
                  *(f"  neighbor {a} activate" for a in family), " exit-address-family"]
    return ["configure terminal", *(line.strip() for line in lines), "exit"]


class RouterSide:
    """The lab router with our neighbours added; `restore` puts back the config as found."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.frr = FrrInstance(lab, "frr-router", lab.config.router.netns)
        self.netns = lab.config.router.netns
        self._saved: Path | None = None

    def configure(self) -> None:
        ensure_node_ipv6(self.lab)
        original = self.frr.vtysh("show running-config")
        self._saved = Path(tempfile.mkdtemp()) / "frr.conf"
        self._saved.write_text("\n".join(
            line for line in original.splitlines()
            if line not in ("Building configuration...", "Current configuration:")))
        self.frr.vtysh(*router_commands(self.lab, original))

    def restore(self) -> None:
        if self._saved is None:
            return
        self.lab.run(self.frr.reload_argv(self._saved, "--reload"), netns=self.netns,
                     check=False)
        # frr-reload.py leaves an emptied `bfd` node behind; the router had none.
        if "\nbfd\n" not in self._saved.read_text():
            self.frr.vtysh("configure terminal", "no bfd", check=False)
        self._saved.unlink()
        self._saved.parent.rmdir()
        self._saved = None

    def neighbor(self, address: str) -> dict[str, Any]:
        data = self.frr.vtysh_json(f"show bgp neighbors {address} json")
        return dict(data.get(address, {}))

    def wait_established(self, addresses: Iterable[str], timeout: float = 40) -> None:
        for address in addresses:
            wait_for(f"router session with {address} Established",
                     lambda a=address: self.neighbor(a).get("bgpState") == "Established",
                     timeout=timeout, interval=0.2,
                     on_timeout=lambda a=address: self.frr.vtysh(f"show bgp neighbors {a}",
                                                                 check=False))

    def bfd_peers(self) -> dict[str, str]:
        return {str(p["peer"]): str(p["status"])
                for p in self.frr.vtysh_json("show bfd peers json")}

    def next_hops(self, prefix: str) -> set[str]:
        """Gateways of the router's kernel route to `prefix` (what forwarding really uses)."""
        family = "-6" if ":" in prefix else "-4"
        out = self.lab.run(["ip", family, "-j", "route", "show", prefix],
                           netns=self.netns).stdout
        hops: set[str] = set()
        for route in json.loads(out or "[]"):
            if route.get("gateway"):
                hops.add(route["gateway"])
            hops.update(h["gateway"] for h in route.get("nexthops", []) if h.get("gateway"))
        return hops

    def bgp_path(self, prefix: str) -> list[dict[str, Any]]:
        family = "ipv6" if ":" in prefix else "ipv4"
        data = self.frr.vtysh_json(f"show bgp {family} unicast {prefix} json")
        return list(data.get("paths", []))

    def wait_next_hops(self, prefix: str, expected: set[str], timeout: float = 10,
                       interval: float = 0.01) -> float:
        """Seconds until the kernel route's next hops are exactly `expected`."""
        start = time.monotonic()
        wait_for(f"router route {prefix} via {sorted(expected)}",
                 lambda: self.next_hops(prefix) == expected, timeout=timeout, interval=interval,
                 on_timeout=lambda: self.frr.vtysh(f"show ip route {prefix}", check=False))
        return time.monotonic() - start
