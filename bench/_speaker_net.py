"""The lab's node namespaces as the layer-2 bench uses them: VIP sinks, faults, processes.

A node must accept packets for the VIP without answering ARP for it, or the kernel (not the
speaker) would decide who owns the address. As LVS direct routing (and kube-proxy's IPVS mode
with strictARP) does, the VIP sits on a local interface other than eth0 (here `lo`, as /32: the
lab's kernel has no dummy links) and arp_ignore=1 / arp_announce=2 keep the kernel silent about
it on eth0: only the speaker's userspace ARP answers say where the VIP lives. Everything changed is
recorded and put back by `restore`.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

NODES = {"node1": "xl-node1", "node2": "xl-node2", "node3": "xl-node3"}
NODE_IPS = {"node1": "198.51.100.11", "node2": "198.51.100.12", "node3": "198.51.100.13"}
CLIENT_NS = "xl-client"
LAN_IFACE = "eth0"
VIP_IFACE = "lo"
# eth0's own keys, not `all`: the kernel uses the larger of the two, and the speaker integration
# tests save/restore the `all` keys in the same namespaces; neither side undoes the other's.
SYSCTLS = ("net.ipv4.conf.eth0.arp_ignore", "net.ipv4.conf.eth0.arp_announce")
STRICT = {"net.ipv4.conf.eth0.arp_ignore": "1", "net.ipv4.conf.eth0.arp_announce": "2"}


def netns(ns: str, *argv: str, check: bool = True) -> str:
    proc = subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                          check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"ip netns exec {ns} {' '.join(argv)}: {proc.stderr.strip()}")
    return proc.stdout


@dataclass
class VipSinks:
    """The VIP on `lo` in every node namespace, kernel ARP for it silenced."""

    vip: str
    saved: dict[str, dict[str, str]] = field(default_factory=dict)

    def install(self) -> None:
        for ns in NODES.values():
            self.saved[ns] = {k: netns(ns, "sysctl", "-n", k).strip() for k in SYSCTLS}
            self.strict(ns)
            self.add(ns)

    def strict(self, ns: str) -> None:
        for key, value in STRICT.items():
            netns(ns, "sysctl", "-qw", f"{key}={value}")

    def add(self, ns: str) -> None:
        netns(ns, "ip", "route", "del", "blackhole", f"{self.vip}/32", check=False)
        netns(ns, "ip", "addr", "replace", f"{self.vip}/32", "dev", VIP_IFACE)

    def remove(self, ns: str, blackhole: bool = True) -> None:
        """Take the VIP off the node; the node namespaces forward (ip_forward=1), so without
        the blackhole route the old owner would route the client's packets on to whichever MAC
        it last learned for the VIP, i.e. serve as a hidden relay to the new owner. The route
        goes in first (the local address outranks it until it is gone): no packet slips through
        in between."""
        if blackhole:
            netns(ns, "ip", "route", "replace", "blackhole", f"{self.vip}/32")
        netns(ns, "ip", "addr", "del", f"{self.vip}/32", "dev", VIP_IFACE, check=False)

    def restore(self) -> None:
        for ns, values in self.saved.items():
            self.remove(ns, blackhole=False)
            netns(ns, "ip", "route", "del", "blackhole", f"{self.vip}/32", check=False)
            for key, value in values.items():
                netns(ns, "sysctl", "-qw", f"{key}={value}", check=False)
        self.saved.clear()


_v6_before_cut: dict[str, list[str]] = {}


def _global_v6(ns: str) -> list[str]:
    out = netns(ns, "ip", "-6", "-o", "addr", "show", "dev", LAN_IFACE, "scope", "global")
    return [line.split()[3] for line in out.splitlines() if len(line.split()) > 3]


def link(ns: str, up: bool) -> None:
    """Cut or restore the node's LAN link. The kernel drops a link's static IPv6 addresses when
    it goes down (keep_addr_on_down=0), so they are noted first and put back (nodad, as the lab
    sets them) when it comes up."""
    if not up and ns not in _v6_before_cut:
        _v6_before_cut[ns] = _global_v6(ns)
    netns(ns, "ip", "link", "set", LAN_IFACE, "up" if up else "down")
    if up and ns in _v6_before_cut:
        present = set(_global_v6(ns))
        for addr in _v6_before_cut.pop(ns):
            if addr not in present:
                netns(ns, "ip", "-6", "addr", "add", addr, "dev", LAN_IFACE, "nodad")


class NsProcess:
    """A process in a namespace (`ip netns exec` execs it, so the PID is the process itself)."""

    def __init__(self, ns: str, argv: list[str], log: Path, *, stdin: bool = False,
                 stdout_pipe: bool = False, env: dict[str, str] | None = None) -> None:
        self.ns = ns
        self.log_path = log
        self.log: IO[bytes] = open(log, "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, *argv], start_new_session=True,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else self.log,
            stderr=self.log, env={**os.environ, **(env or {})})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, no grace: a crash, as the failover trials want it."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self, grace: float = 10.0) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
