"""BGP speaker engine (FrrEngine + FRR) against the lab router.

1. Announce-to-route: FrrEngine.apply() with one more /32 -> the path in the router's BGP
   table (bgpd's vty socket polled every ms) -> the /32 in the router's kernel routing table
   (`ip monitor route` in the router namespace, timestamped as lines arrive); the same for
   the withdrawal (apply() without it). Each figure counts from the start of apply().
2. Node failure: node1 and node2 announce one /32 (ECMP); node1's cable into the LAN bridge is
   cut (`ip link set v-node1 down` in the LAN namespace: nothing leaves node1 to say goodbye)
   -> node1's next hop gone from the router's kernel route (polled every 5 ms). BFD 3 x 100 ms.

Run as root with the lab up (kube + frr): `.venv/bin/python bench/bgp.py [--samples 50]
[--trials 10]`. Uses the fixtures of tests/integration/speaker_bgp (router neighbours added and
removed again, FRR instances frr-<node>-bgptest started and stopped); do not run it while those
tests run.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "speaker_bgp"))
sys.path.insert(0, str(ROOT / "lab"))

from baremetal_lb.bgp.vty import Vty  # noqa: E402
from exposure_lab import Lab, LabConfig  # noqa: E402
from exposure_lab.core import wait_for  # noqa: E402

from bgp_lab import EBGP_NODES, NodeSpeaker, RouterSide  # noqa: E402

ADDRESSES = [f"203.0.113.{i}" for i in range(240, 250)]


class RouteMonitor:
    """`ip monitor route` in a namespace; each line with its arrival time."""

    def __init__(self, netns: str) -> None:
        self.proc = subprocess.Popen(["ip", "netns", "exec", netns, "ip", "-4", "monitor",
                                      "route"], stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line))

    def wait(self, address: str, deleted: bool, timeout: float = 5.0) -> float:
        deadline = time.monotonic() + timeout
        while True:
            at, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            words = line.split()
            is_delete = words[:1] == ["Deleted"]
            target = words[1] if is_delete else words[0]
            if target in (address, f"{address}/32") and is_delete == deleted:
                return at

    def drain(self) -> None:
        while not self.lines.empty():
            self.lines.get_nowait()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{name:<34} n={len(ms):>3}  p50 {pct(ms, .5):7.1f} ms  p99 {pct(ms, .99):7.1f} ms  "
            f"min {min(ms):6.1f}  max {max(ms):7.1f}  mean {statistics.mean(ms):6.1f}")


def wait_bgp_table(vty: Vty, prefix: str, present: bool, timeout: float = 5.0) -> float:
    """When the router's BGP table has (or no longer has) a path for `prefix`: polled every
    millisecond over bgpd's own vty socket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, out = vty.run(f"show bgp ipv4 unicast {prefix} json")
        if ('"paths"' in out and '"paths":[]' not in out.replace(" ", "")) == present:
            return time.monotonic()
        time.sleep(0.001)
    raise TimeoutError(f"{prefix} {'never arrived in' if present else 'stayed in'} the "
                       "router's BGP table")


def announce_latency(router: RouterSide, speaker: NodeSpeaker, samples: int) -> None:
    monitor = RouteMonitor(router.netns)
    vty = Vty(router.frr.dir / "bgpd.vty")
    vty.run("enable")
    time.sleep(0.3)
    applied, to_route, withdraw_apply, to_gone = [], [], [], []
    to_table, out_of_table = [], []
    try:
        for i in range(samples):
            address = ADDRESSES[i % len(ADDRESSES)]
            monitor.drain()
            start = time.monotonic()
            speaker.announce(address)
            returned = time.monotonic()
            to_table.append(wait_bgp_table(vty, f"{address}/32", True) - start)
            seen = monitor.wait(address, deleted=False)
            applied.append(returned - start)
            to_route.append(seen - start)
            start = time.monotonic()
            speaker.announce()
            returned = time.monotonic()
            out_of_table.append(wait_bgp_table(vty, f"{address}/32", False) - start)
            gone = monitor.wait(address, deleted=True)
            withdraw_apply.append(returned - start)
            to_gone.append(gone - start)
    finally:
        vty.close()
        monitor.close()
    print(summary("announce: apply() returns", applied))
    print(summary("announce: path in router BGP table", to_table))
    print(summary("announce: route in router kernel", to_route))
    print(summary("withdraw: apply() returns", withdraw_apply))
    print(summary("withdraw: path gone from BGP table", out_of_table))
    print(summary("withdraw: route gone from kernel", to_gone))
    print(f"engine: {speaker.engine.fast_applies} vtysh deltas, "
          f"{speaker.engine.full_reloads} full reloads")


def node_failure(lab: Lab, router: RouterSide, speakers: list[NodeSpeaker], trials: int) -> None:
    address, prefix = "203.0.113.250", "203.0.113.250/32"
    victim, survivor = speakers
    for speaker in speakers:
        speaker.announce(address)
    both = {victim.address, survivor.address}
    times = []
    for _ in range(trials):
        router.wait_established([victim.address])
        wait_for("BFD up with node1", lambda: router.bfd_peers().get(victim.address) == "up",
                 timeout=30)
        router.wait_next_hops(prefix, both, timeout=30)
        lab.run(["ip", "link", "set", "v-node1", "down"], netns=lab.config.lan_netns)
        try:
            times.append(router.wait_next_hops(prefix, {survivor.address}, timeout=15,
                                               interval=0.005))
        finally:
            lab.run(["ip", "link", "set", "v-node1", "up"], netns=lab.config.lan_netns)
    print(summary("node failure -> next hop withdrawn", times))
    for speaker in speakers:
        speaker.announce()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    lab = Lab(LabConfig())
    router = RouterSide(lab)
    speakers = [NodeSpeaker(lab, node) for node in EBGP_NODES]
    router.configure()
    try:
        for speaker in speakers:
            speaker.start()
            speaker.announce()
        router.wait_established([s.address for s in speakers])
        print(f"FrrEngine -> FRR ({lab.info('frr').get('version', '?')}) -> lab router; "
              f"{args.samples} samples, {args.trials} failure trials")
        announce_latency(router, speakers[0], args.samples)
        node_failure(lab, router, speakers, args.trials)
    finally:
        for speaker in speakers:
            speaker.stop()
        router.restore()


if __name__ == "__main__":
    main()
