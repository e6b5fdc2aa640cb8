#!/usr/bin/env python3
"""Benchmark address_probe against a sequential `arping` per address, on the lab's LAN.

Run as root with the lab up:  .venv/bin/python bench/address_probe.py [--sample N] [--full]

Probes 198.18.0.0/24 (256) and 198.18.0.0/22 (1,024) addresses from node1's namespace over
br-lan, with a squatter namespace (xl-bsquat, removed at the end) holding 198.18.0.77 so that
each run must find one conflict. The baseline is what a shell loop does today: one
`arping -0 -c 1 -C 1 -w WAIT` per address, one after the other (WAIT = 1 s by default, already
far shorter than RFC 5227's ~7 s per address). Silent addresses each cost the whole wait, so
the baseline is timed on the first --sample addresses and extrapolated linearly (printed as
such); --full times every address (1,280 s at the default wait).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = REPO / "tests" / "integration" / "address_probe" / "probe_in_netns.py"
LINK = REPO / ".collections" / "ansible_collections" / "baremetal" / "exposure"
NODE_NS = "xl-node1"
SQUAT_NS = "xl-bsquat"
SQUAT_MAC = "02:00:5e:99:00:02"
SQUAT_IP = "198.18.0.77"
CASES = [("198.18.0.0/24", 256), ("198.18.0.0/22", 1024)]


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def squatter_up() -> None:
    sh("ip", "netns", "del", SQUAT_NS, check=False)
    sh("ip", "netns", "add", SQUAT_NS)
    sh("ip", "link", "add", "eth0", "address", SQUAT_MAC, "netns", SQUAT_NS, "type", "veth",
       "peer", "name", "v-bsquat", "netns", "xl-lan")
    sh("ip", "-n", "xl-lan", "link", "set", "v-bsquat", "master", "br-lan", "up")
    sh("ip", "-n", SQUAT_NS, "addr", "add", f"{SQUAT_IP}/22", "dev", "eth0")
    sh("ip", "-n", SQUAT_NS, "link", "set", "eth0", "up")


def probe(cidr: str, rate: int) -> dict:
    proc = sh("ip", "netns", "exec", NODE_NS, sys.executable, str(PROBE),
              json.dumps({"interface": "eth0", "addresses": [cidr], "rate": rate}))
    return json.loads(proc.stdout)


def arping_loop(addresses: list[str], wait: float) -> tuple[float, int]:
    start = time.monotonic()
    answered = 0
    for address in addresses:
        proc = sh("ip", "netns", "exec", NODE_NS, "arping", "-0", "-q", "-i", "eth0", "-c", "1",
                  "-C", "1", "-w", str(wait), address, check=False)
        answered += proc.returncode == 0
    return time.monotonic() - start, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=16, help="baseline addresses timed")
    parser.add_argument("--full", action="store_true", help="time the baseline on every address")
    parser.add_argument("--wait", type=float, default=1.0, help="arping deadline per address")
    parser.add_argument("--rate", type=int, default=2000, help="probe packets per second")
    args = parser.parse_args()
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(REPO)
    squatter_up()
    try:
        print(f"address_probe (rate {args.rate} pps, 2 retries, 1 s window) vs sequential "
              f"`arping -w {args.wait}`, from {NODE_NS} on br-lan")
        for cidr, size in CASES:
            result = probe(cidr, args.rate)
            found = [a["ip"] for a in result["answered"]]
            assert found == [SQUAT_IP], f"expected the squatter only, got {found}"
            net = ipaddress.ip_network(cidr)
            count = size if args.full else min(args.sample, size)
            # The sample includes the squatter's address, so it has one answered address too.
            sample = [str(net[77])] + [str(net[i]) for i in range(1, count)]
            seconds, answered = arping_loop(sample[:count], args.wait)
            total = seconds * size / count
            label = "measured" if count == size else f"extrapolated from {count}"
            print(f"{size:5d} addresses: probe {result['duration']:.2f} s "
                  f"({result['sent']} probes, found {SQUAT_IP} at {SQUAT_MAC}); arping loop "
                  f"{total:.1f} s ({label}, {answered} answered); ratio {total / result['duration']:.0f}x")
    finally:
        sh("ip", "netns", "del", SQUAT_NS, check=False)


if __name__ == "__main__":
    main()
