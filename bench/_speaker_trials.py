"""The client's view of a VIP and the failover trials measured from it.

`Probe` runs _speaker_echo.py's prober in xl-client and keeps every answer (receive time,
answering node). A trial crashes the owner (or cuts its link) at t0 and waits for the first
answer from another node; the outage is the gap between the owner's last answer and that first
answer from the new owner, i.e. what a client probing every --interval seconds saw.
"""

from __future__ import annotations

import bisect
import itertools
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from _speaker_net import CLIENT_NS, LAN_IFACE, NODES, NsProcess, netns

ECHO = Path(__file__).resolve().parent / "_speaker_echo.py"


class Probe:
    def __init__(self, vip: str, port: int, interval: float, log: Path) -> None:
        self.interval = interval
        self.times: list[float] = []
        self.nodes: list[str] = []
        self.lock = threading.Lock()
        self.proc = NsProcess(CLIENT_NS, [sys.executable, str(ECHO), "probe", vip, str(port),
                                          str(interval)], log, stdin=True, stdout_pipe=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.proc.stdout is not None
        for raw in self.proc.proc.stdout:
            parts = raw.split()
            if len(parts) == 3:
                with self.lock:
                    self.times.append(float(parts[0]))
                    self.nodes.append(parts[1].decode())

    def since(self, t: float) -> list[tuple[float, str]]:
        with self.lock:
            i = bisect.bisect_right(self.times, t)
            return list(zip(self.times[i:], self.nodes[i:], strict=True))

    def last_from(self, node: str, until: float) -> float | None:
        with self.lock:
            i = bisect.bisect_right(self.times, until)
            for j in range(i - 1, max(-1, i - 100_000), -1):
                if self.nodes[j] == node:
                    return self.times[j]
        return None

    def stable_owner(self, hold: float) -> str | None:
        """The node that answered every probe of the last `hold` s without a gap, or None."""
        now = time.monotonic()
        window = self.since(now - hold)
        if len(window) < 0.8 * hold / self.interval or now - window[0][0] > 2 * hold:
            return None
        if {node for _, node in window} != {window[0][1]}:
            return None
        times = [now - hold] + [t for t, _ in window] + [now]
        if max(b - a for a, b in itertools.pairwise(times)) > max(0.1, 5 * self.interval):
            return None
        return window[0][1]

    def wait_stable(self, hold: float, timeout: float, want: str | None = None) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            owner = self.stable_owner(hold)
            if owner is not None and (want is None or owner == want):
                return owner
            time.sleep(0.1)
        return None

    def summary(self, seconds: float) -> str:
        """Who answered in the last `seconds`, and the longest silence: for error messages."""
        now = time.monotonic()
        window = self.since(now - seconds)
        counts: dict[str, int] = {}
        for _, node in window:
            counts[node] = counts.get(node, 0) + 1
        times = [now - seconds] + [t for t, _ in window] + [now]
        silence = max(b - a for a, b in itertools.pairwise(times))
        return f"answers in the last {seconds:.0f}s: {counts or 'none'}, longest silence " \
            f"{silence * 1000:.0f} ms"

    def stop(self) -> None:
        self.proc.stop()


def arp_answerers(vip: str, seconds: float = 0.3) -> dict[str, int]:
    """Nodes whose MAC answers ARP for the VIP now (independent of the client's cache)."""
    macs = {netns(ns, "cat", f"/sys/class/net/{LAN_IFACE}/address").strip(): node
            for node, ns in NODES.items()}
    out: dict[str, int] = {}
    line = netns(CLIENT_NS, sys.executable, str(ECHO), "arp", vip, LAN_IFACE, str(seconds))
    for item in line.split():
        mac, count = item.rsplit("=", 1)
        out[macs.get(mac, mac)] = int(count)
    return out


def settled(probe: Probe, vip: str, timeout: float, want: str | None = None) -> str | None:
    """A node that answered every probe for 3 s and is the only one answering ARP for the VIP
    (a stale neighbour entry at the client can make a node that no longer announces answer
    probes: every node accepts the VIP)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        owner = probe.wait_stable(hold=3.0, timeout=left, want=want)
        if owner is None:
            return None
        if set(arp_answerers(vip)) == {owner}:
            return owner
        time.sleep(0.5)
    return None


@dataclass
class Trial:
    mode: str
    owner: str
    new_owner: str
    gap: float            # owner's last answer -> new owner's first answer (s)
    detect: float         # fault injected -> new owner's first answer (s)
    restored_to_owner: bool
    at: float             # wall-clock time of the fault, to find it in the speakers' logs
    stray: int            # lone answers from other nodes before the new owner took over


def measure(probe: Probe, owner: str, fault: float, timeout: float,
            persist: float = 0.3) -> tuple[str, float, float, int]:
    """After a fault at monotonic time `fault`: (new owner, gap, fault -> new owner's first
    answer, stray answers). The new owner's first answer is the first one after the fault from
    another node that is followed by `persist` s of answers without a silence of more than
    100 ms: a lone answer through some other path (seen now and then right after a fault)
    does not end the outage; such stray answers are counted instead."""
    deadline = fault + timeout
    while time.monotonic() < deadline:
        after = probe.since(fault)
        for k, (t, node) in enumerate(after):
            if node == owner:
                continue
            run = [a for a, _ in after[k:] if a <= t + persist]
            if after[-1][0] < t + persist:
                break  # not enough seen yet: wait for more answers
            if max(b - a for a, b in itertools.pairwise([*run, t + persist])) <= 0.1:
                # the owner may still answer a probe that was in flight at t0: count it as before
                last = probe.last_from(owner, t)
                if last is None:
                    raise RuntimeError(f"no answer from {owner} before the fault")
                stray = sum(1 for a, n in after[:k] if n != owner)
                return node, t - last, t - fault, stray
        time.sleep(0.05)
    raise TimeoutError(f"no other node answered within {timeout:.0f}s after {owner}'s fault")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (with 20 samples p99 is the largest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]
