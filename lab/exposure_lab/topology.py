"""The wire: a LAN bridge in its own namespace and one veth per host namespace.

```
 root ns  xl-mgmt (198.51.100.250) --+
 xl-router eth0 (.1)  ---------------+
 xl-dhcp   eth0 (.2)  ---------------+-- br-lan (in xl-lan)
 xl-client eth0 (.3)  ---------------+
 xl-nodeN  eth0 (.10+N) -------------+
```
No namespace gets a default route, so nothing can leave the lab; the root namespace gets only
the connected LAN route through its management veth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .config import LAN_V4, LAN_V6, Host, LabConfig
from .core import Lab, LabError

SYSCTLS_ALL = {
    # Lab addresses are fixed and unique: duplicate address detection only adds seconds.
    "net.ipv6.conf.all.accept_dad": "0",
    "net.ipv6.conf.default.accept_dad": "0",
    # No router advertisements from anywhere: addresses and routes are what we configure.
    "net.ipv6.conf.all.accept_ra": "0",
    "net.ipv6.conf.default.accept_ra": "0",
}


def existing_netns() -> set[str]:
    path = Path("/run/netns")
    return {p.name for p in path.iterdir()} if path.is_dir() else set()


class Topology:
    name = "topology"

    def up(self, lab: Lab) -> None:
        cfg = lab.config
        present = existing_netns()
        recorded = lab.info(self.name)
        if recorded and recorded.get("nodes") != cfg.nodes:
            raise LabError(
                f"the lab is up with {recorded.get('nodes')} nodes; run `lab down` before "
                f"bringing it up with {cfg.nodes}"
            )
        if cfg.lan_netns not in present:
            self._make_lan(lab)
        for host in cfg.hosts:
            if host.netns not in present:
                self._make_host(lab, host)
        if not Path(f"/sys/class/net/{cfg.mgmt_veth}").exists():
            self._make_mgmt(lab)
        with lab.transaction() as state:
            state.nodes = cfg.nodes
            state.prefix = cfg.prefix
        lab.record(
            self.name,
            {
                "nodes": cfg.nodes,
                "kwok": cfg.kwok,
                "lan": {"ipv4": str(LAN_V4), "ipv6": str(LAN_V6), "netns": cfg.lan_netns},
                "gateway": {"ipv4": cfg.gateway_v4, "ipv6": cfg.gateway_v6},
                "mgmt": {"dev": cfg.mgmt_veth, "ipv4": cfg.mgmt_ipv4, "ipv6": cfg.mgmt_ipv6},
                "hosts": {
                    h.name: {"netns": h.netns, "ipv4": h.ipv4, "ipv6": h.ipv6, "mac": h.mac}
                    for h in cfg.hosts
                },
            },
        )

    def _sysctls(self, lab: Lab, netns: str, extra: dict[str, str] | None = None) -> None:
        settings = {**SYSCTLS_ALL, **(extra or {})}
        lab.run(["sysctl", "-q", "-w", *[f"{k}={v}" for k, v in settings.items()]], netns=netns)

    def _make_lan(self, lab: Lab) -> None:
        cfg = lab.config
        lab.run(["ip", "netns", "add", cfg.lan_netns])
        ns = ["ip", "-n", cfg.lan_netns]
        # No STP and no forwarding delay: ports forward the moment they are up. Multicast
        # snooping off so NDP and heartbeats flood like on a dumb switch.
        lab.run([*ns, "link", "add", cfg.bridge, "type", "bridge", "stp_state", "0",
                 "forward_delay", "0", "mcast_snooping", "0"])
        lab.run([*ns, "link", "set", cfg.bridge, "up"])
        lab.run([*ns, "link", "set", "lo", "up"])
        self._sysctls(lab, cfg.lan_netns, {"net.ipv6.conf.all.disable_ipv6": "1"})

    def _make_host(self, lab: Lab, host: Host) -> None:
        cfg = lab.config
        lab.run(["ip", "netns", "add", host.netns])
        port = f"v-{host.name}"
        lab.run(["ip", "-n", host.netns, "link", "add", "eth0", "address", host.mac, "type",
                 "veth", "peer", "name", port, "netns", cfg.lan_netns])
        lab.run(["ip", "-n", cfg.lan_netns, "link", "set", port, "master", cfg.bridge, "up"])
        self._sysctls(lab, host.netns)
        ns = ["ip", "-n", host.netns]
        lab.run([*ns, "link", "set", "lo", "up"])
        if host.ipv4:
            lab.run([*ns, "addr", "add", f"{host.ipv4}/{LAN_V4.prefixlen}", "dev", "eth0"])
        if host.ipv6:
            lab.run([*ns, "addr", "add", f"{host.ipv6}/{LAN_V6.prefixlen}", "dev", "eth0",
                     "nodad"])
        lab.run([*ns, "link", "set", "eth0", "up"])
        if host.name == "router":
            # The router forwards between the LAN and the routed pools it learns by BGP.
            self._sysctls(lab, host.netns, {"net.ipv4.ip_forward": "1",
                                            "net.ipv6.conf.all.forwarding": "1"})

    def _make_mgmt(self, lab: Lab) -> None:
        cfg = lab.config
        lab.run(["ip", "link", "add", cfg.mgmt_veth, "address", cfg.mgmt_mac, "type", "veth",
                 "peer", "name", "v-mgmt", "netns", cfg.lan_netns])
        lab.run(["ip", "-n", cfg.lan_netns, "link", "set", "v-mgmt", "master", cfg.bridge, "up"])
        lab.run(["sysctl", "-q", "-w", f"net.ipv6.conf.{cfg.mgmt_veth}.accept_dad=0",
                 f"net.ipv6.conf.{cfg.mgmt_veth}.accept_ra=0"])
        # Only the connected LAN route: the root namespace reaches the LAN subnet and nothing
        # else of the lab (the BGP pools stay behind the router).
        lab.run(["ip", "addr", "add", f"{cfg.mgmt_ipv4}/{LAN_V4.prefixlen}", "dev",
                 cfg.mgmt_veth])
        lab.run(["ip", "addr", "add", f"{cfg.mgmt_ipv6}/{LAN_V6.prefixlen}", "dev",
                 cfg.mgmt_veth, "nodad"])
        lab.run(["ip", "link", "set", cfg.mgmt_veth, "up"])

    def down(self, lab: Lab) -> None:
        cfg = lab.config
        prefix = lab.state.prefix or cfg.prefix
        if Path(f"/sys/class/net/{cfg.mgmt_veth}").exists():
            lab.run(["ip", "link", "del", cfg.mgmt_veth])
        # Delete every namespace of this lab's prefix, including ones a test added (squatters).
        for netns in sorted(existing_netns()):
            if netns.startswith(f"{prefix}-"):
                lab.run(["ip", "netns", "del", netns])
        lab.forget(self.name)

    def status(self, lab: Lab) -> dict[str, Any]:
        cfg = lab.config
        present = existing_netns()
        missing = [h.netns for h in cfg.hosts if h.netns not in present]
        if cfg.lan_netns not in present:
            missing.insert(0, cfg.lan_netns)
        links = json.loads(
            lab.run(["ip", "-j", "-n", cfg.lan_netns, "link", "show", "master", cfg.bridge],
                    check=False).stdout or "[]"
        ) if cfg.lan_netns in present else []
        return {
            "up": not missing and Path(f"/sys/class/net/{cfg.mgmt_veth}").exists(),
            "missing_namespaces": missing,
            "bridge_ports": sorted(link["ifname"] for link in links),
            **lab.info(self.name),
        }


def lab_namespaces(prefix: str) -> list[str]:
    return sorted(ns for ns in existing_netns() if ns.startswith(f"{prefix}-"))


def check_isolated(lab: Lab, cfg: LabConfig) -> list[str]:
    """Return problems: any lab namespace holding a default route."""
    problems = []
    for netns in lab_namespaces(cfg.prefix):
        for family in ("-4", "-6"):
            out = lab.run(["ip", family, "-n", netns, "route", "show", "default"], check=False)
            if out.stdout.strip():
                problems.append(f"{netns} has a default route: {out.stdout.strip()}")
    return problems
