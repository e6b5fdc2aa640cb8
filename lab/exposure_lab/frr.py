"""FRR in namespaces: the site's router, and BGP peers in node namespaces for tests.

Each instance is a set of daemons started directly (not through frrinit/watchfrr) with every
path pointing into its own directory, so several instances coexist and nothing touches
/etc/frr or /var/run/frr. All daemons read the same integrated `frr.conf` (each ignores the
other daemons' lines), which is also the file frr-reload.py and `vtysh -w` work on.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .config import BGP_POOL_V4, CLUSTER_ASN, ROUTER_ASN
from .core import Lab, LabError, wait_for

FRR_SBIN = Path("/usr/lib/frr")
DEFAULT_DAEMONS = ("zebra", "bgpd", "staticd", "bfdd")


class FrrInstance:
    def __init__(self, lab: Lab, key: str, netns: str, daemons: tuple[str, ...] = DEFAULT_DAEMONS):
        self.lab = lab
        self.key = key  # e.g. "frr-router", "frr-node1": prefixes the process keys
        self.netns = netns
        self.daemons = daemons
        self.dir = lab.config.run_dir / key

    @property
    def conf(self) -> Path:
        return self.dir / "frr.conf"

    def vtysh_argv(self, *commands: str) -> list[str]:
        argv = ["vtysh", "--vty_socket", str(self.dir), "--config_dir", str(self.dir)]
        for command in commands:
            argv += ["-c", command]
        return argv

    def vtysh(self, *commands: str, check: bool = True) -> str:
        return self.lab.run(self.vtysh_argv(*commands), netns=self.netns, check=check).stdout

    def vtysh_json(self, command: str) -> Any:
        return json.loads(self.vtysh(command) or "{}")

    def reload_argv(self, new_config: str | Path, mode: str = "--test") -> list[str]:
        """frr-reload.py pointed at this instance (mode --test or --reload)."""
        return ["python3", str(FRR_SBIN / "frr-reload.py"), mode, "--stdout", "--bindir",
                "/usr/bin", "--confdir", str(self.dir), "--rundir", str(self.dir),
                "--vty_socket", str(self.dir), str(new_config)]

    def start(self, config: str) -> None:
        if all(self.lab.alive(f"{self.key}-{d}") for d in self.daemons):
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(config)
        (self.dir / "vtysh.conf").write_text("service integrated-vtysh-config\n")
        shutil.chown(self.dir, "frr", "frr")
        for path in self.dir.iterdir():
            shutil.chown(path, "frr", "frr")
        for daemon in self.daemons:
            argv = [str(FRR_SBIN / daemon), "-f", str(self.conf), "--vty_socket", str(self.dir),
                    "-i", str(self.dir / f"{daemon}.pid"), "-z", str(self.dir / "zserv.api"),
                    "-u", "frr", "-g", "frr", "-P", "0", "--log", "stdout"]
            if daemon == "bfdd":
                argv += ["--bfdctl", str(self.dir / "bfdd.sock")]
            self.lab.spawn(f"{self.key}-{daemon}", argv, netns=self.netns)
            if daemon == "zebra":
                # The other daemons connect to zebra's socket at start-up; give it a moment.
                wait_for(f"{self.key} zebra socket", lambda: (self.dir / "zserv.api").exists(),
                         timeout=10)
        # Ready when vtysh reaches every daemon and bgpd has read its configuration.
        expected = "router bgp" if "router bgp" in config else "end"
        wait_for(f"{self.key} answering vtysh",
                 lambda: expected in self.vtysh("show running-config", check=False), timeout=15)

    def stop(self) -> None:
        for daemon in reversed(self.daemons):
            self.lab.stop(f"{self.key}-{daemon}")
        shutil.rmtree(self.dir, ignore_errors=True)

    def alive(self) -> dict[str, bool]:
        return {d: self.lab.alive(f"{self.key}-{d}") for d in self.daemons}

    def bgp_neighbors(self) -> dict[str, Any]:
        summary = self.vtysh_json("show bgp summary json")
        peers: dict[str, Any] = {}
        for family in summary.values():
            if isinstance(family, dict):
                peers.update(family.get("peers", {}))
        return peers

    def wait_established(self, neighbor: str, timeout: float = 30) -> None:
        wait_for(
            f"BGP session {self.key} -> {neighbor} Established",
            lambda: self.vtysh_json(f"show bgp neighbor {neighbor} json")
            .get(neighbor, {}).get("bgpState") == "Established",
            timeout=timeout,
            on_timeout=lambda: self.vtysh(f"show bgp neighbor {neighbor}", check=False),
        )


def router_base_config(lab: Lab) -> str:
    """The router's starting point: BGP up with no neighbours. router_bgp fills in the rest."""
    router = lab.config.router
    return "\n".join([
        "frr defaults traditional",
        "log stdout informational",
        # State forwarding explicitly so a reload never flips it (see NOTES).
        "ip forwarding",
        "ipv6 forwarding",
        "!",
        f"router bgp {ROUTER_ASN}",
        f" bgp router-id {router.ipv4}",
        " no bgp default ipv4-unicast",
        " no bgp ebgp-requires-policy",
        "exit",
        "!",
        "line vty",
        "!",
        "",
    ])


def node_peer_config(lab: Lab, node_name: str, extra_bgp: list[str] | None = None) -> str:
    """A node-side BGP speaker peering with the router (a test fixture, not the product)."""
    node = lab.config.host(node_name)
    router = lab.config.router
    lines = [
        "frr defaults traditional",
        "log stdout informational",
        "!",
        f"router bgp {CLUSTER_ASN}",
        f" bgp router-id {node.ipv4}",
        " no bgp default ipv4-unicast",
        " no bgp ebgp-requires-policy",
        # Test peers announce whatever a test asks, without a matching route of their own.
        " no bgp network import-check",
        f" neighbor {router.ipv4} remote-as {ROUTER_ASN}",
        f" neighbor {router.ipv4} timers 3 9",
        " address-family ipv4 unicast",
        f"  neighbor {router.ipv4} activate",
        *(extra_bgp or []),
        " exit-address-family",
        "exit",
        "!",
        "",
    ]
    return "\n".join(lines)


class RouterFrr:
    """The site router: FRR (zebra, bgpd, staticd, bfdd) in the `router` namespace."""

    name = "frr"

    def instance(self, lab: Lab) -> FrrInstance:
        return FrrInstance(lab, "frr-router", lab.config.router.netns)

    def up(self, lab: Lab) -> None:
        frr = self.instance(lab)
        frr.start(router_base_config(lab))
        version = frr.vtysh("show version").splitlines()[0].strip()
        lab.record(self.name, {
            "netns": frr.netns,
            "dir": str(frr.dir),
            "config": str(frr.conf),
            "asn": ROUTER_ASN,
            "cluster_asn": CLUSTER_ASN,
            "router_id": lab.config.router.ipv4,
            "bgp_pool": str(BGP_POOL_V4),
            "version": version,
            "vtysh": " ".join(["ip", "netns", "exec", frr.netns, *frr.vtysh_argv()]),
        })

    def down(self, lab: Lab) -> None:
        self.instance(lab).stop()
        # Test fixtures may have started peers in node namespaces: stop those too.
        for key in list(lab.state.processes):
            if key.startswith("frr-node"):
                lab.stop(key)
        for path in lab.config.run_dir.glob("frr-node*"):
            shutil.rmtree(path, ignore_errors=True)
        lab.forget(self.name)

    def status(self, lab: Lab) -> dict[str, Any]:
        frr = self.instance(lab)
        daemons = frr.alive()
        info: dict[str, Any] = {"daemons": daemons, **lab.info(self.name)}
        if all(daemons.values()):
            try:
                info["bgp_neighbors"] = {
                    peer: data.get("state") for peer, data in frr.bgp_neighbors().items()
                }
            except (LabError, json.JSONDecodeError) as exc:
                info["error"] = str(exc)
        info["up"] = all(daemons.values())
        return info
