"""Layer-2 building blocks on the real lab LAN: the announcer answers ARP/NDP from a node
namespace, probes detect squatters, heartbeats drive sub-second failover, and forged or replayed
heartbeats change nothing. Addresses: 198.51.100.240-.247 and 2001:db8:100::f0-f7 only."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from baremetal_lb.speaker.ownership import owner

HERE = Path(__file__).parent
KEY = "5a" * 32
NODE_MAC = {"node1": "02:00:5e:10:00:0b", "node2": "02:00:5e:10:00:0c"}
CLIENT_MAC = "02:00:5e:10:00:03"
Event = dict[str, Any]


def netns(ns: str, *command: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *command]


class Process:
    """A helper process in a lab namespace whose stdout is a stream of JSON events."""

    def __init__(self, ns: str, script: str, *args: str) -> None:
        self.proc = subprocess.Popen(netns(ns, sys.executable, str(HERE / script), *args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.events: list[Event] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.events.append(json.loads(line))
                self._cond.notify_all()

    def wait(self, predicate: Callable[[Event], bool], timeout: float = 5.0) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    stderr = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
                    raise AssertionError(f"no matching event in {timeout}s; events: {self.events}"
                                         f"{' stderr: ' + stderr if stderr else ''}")
                self._cond.wait(left)

    def finish(self, timeout: float = 10.0) -> list[Event]:
        self.proc.wait(timeout)
        self._reader.join(timeout)
        return self.events

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self._reader.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def spawn(lab: object) -> Iterator[Callable[..., Process]]:
    """Starts helper processes and kills whatever is still running at the end."""
    started: list[Process] = []

    def start(ns: str, script: str, *args: str) -> Process:
        process = Process(ns, script, *args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop(signal.SIGKILL)


@pytest.fixture
def port() -> int:
    return random.randint(20000, 29999)


@pytest.fixture
def client_neighbours() -> Iterator[list[str]]:
    """IPs whose neighbour entries in xl-client are removed at the end (ours, not the lab's)."""
    ips: list[str] = []
    yield ips
    for ip in ips:
        subprocess.run(netns("xl-client", "ip", "neigh", "del", ip, "dev", "eth0"),
                       capture_output=True)


@pytest.fixture
def squatter() -> Iterator[Callable[[str], str]]:
    """A macvlan in xl-client holding an address: a foreign host squatting on an IP."""
    made: list[str] = []

    def add(address: str) -> str:
        name = f"sq{len(made)}{random.randint(100, 999)}"
        def run(*cmd: str) -> None:
            subprocess.run(netns("xl-client", *cmd), check=True)

        run("ip", "link", "add", name, "link", "eth0", "type", "macvlan", "mode", "bridge")
        made.append(name)
        extra = ["nodad"] if ":" in address else []
        run("ip", "addr", "add", address, "dev", name, *extra)
        run("ip", "link", "set", name, "up")
        return name

    yield add
    for name in made:
        subprocess.run(netns("xl-client", "ip", "link", "del", name), capture_output=True)


def speaker(spawn: Callable[..., Process], ns: str, node: str, ips: list[str], *extra: str) -> Process:
    return spawn(ns, "speaker_node.py", "--node", node, "--ips", ",".join(ips), *extra)


def probe(spawn: Callable[..., Process], ns: str, ip: str, duration: float,
          interval: float = 0.02) -> Process:
    return spawn(ns, "lan_tool.py", "probe", "eth0", ip, str(duration), str(interval))


def wait_state(proc: Process, ip: str, state: str, timeout: float = 5.0) -> None:
    """Wait until the latest state `proc` reported for `ip` is `state`."""
    deadline = time.monotonic() + timeout
    while True:
        states = [e["state"] for e in list(proc.events) if e["event"] == "state" and e["ip"] == ip]
        if states and states[-1] == state:
            return
        assert time.monotonic() < deadline, f"{ip} never became {state}: {proc.events}"
        time.sleep(0.02)


def answers(events: list[Event]) -> set[str]:
    return {e["mac"] for e in events if e.get("kind") == "reply"}


def test_owner_answers_arp_and_ndp_others_stay_silent(spawn: Callable[..., Process]) -> None:
    node1 = speaker(spawn, "xl-node1", "node1", ["198.51.100.240", "2001:db8:100::f0"])
    node1.wait(lambda e: e.get("state") == "announcing" and e["ip"] == "198.51.100.240")
    node1.wait(lambda e: e.get("state") == "announcing" and e["ip"] == "2001:db8:100::f0")
    assert answers(probe(spawn, "xl-client", "198.51.100.240", 0.3, 0.05).finish()) == {NODE_MAC["node1"]}
    assert answers(probe(spawn, "xl-client", "2001:db8:100::f0", 0.3, 0.05).finish()) == {NODE_MAC["node1"]}
    assert answers(probe(spawn, "xl-client", "198.51.100.241", 0.3, 0.05).finish()) == set()
    assert answers(probe(spawn, "xl-client", "2001:db8:100::f1", 0.3, 0.05).finish()) == set()
    # the kernel of an unrelated client resolves the VIP through the responder too
    result = subprocess.run(netns("xl-client", "arping", "-c", "2", "-I", "eth0", "198.51.100.240"),
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0 and NODE_MAC["node1"] in result.stdout, result.stdout
    node1.stop()
    assert node1.events[-1]["event"] == "stopped"
    assert answers(probe(spawn, "xl-client", "198.51.100.240", 0.3, 0.05).finish()) == set()


def test_squatter_is_detected_before_announcing(spawn: Callable[..., Process],
                                                squatter: Callable[[str], str]) -> None:
    squatter("198.51.100.242/32")
    squatter("2001:db8:100::f2/128")
    node1 = speaker(spawn, "xl-node1", "node1", ["198.51.100.242", "2001:db8:100::f2"])
    for ip in ("198.51.100.242", "2001:db8:100::f2"):
        conflict = node1.wait(lambda e, ip=ip: e["event"] == "conflict" and e["ip"] == ip)
        assert conflict["phase"] == "probing" and conflict["mac"] != NODE_MAC["node1"]
    time.sleep(0.6)            # longer than probe + wait: it must still not announce
    assert not [e for e in node1.events if e.get("state") == "announcing"]
    heard = answers(probe(spawn, "xl-node2", "198.51.100.242", 0.3, 0.05).finish())
    assert heard and NODE_MAC["node1"] not in heard


def test_foreign_claim_while_announcing_is_reported(spawn: Callable[..., Process],
                                                    squatter: Callable[[str], str]) -> None:
    node1 = speaker(spawn, "xl-node1", "node1", ["198.51.100.243"])
    node1.wait(lambda e: e.get("state") == "announcing")
    name = squatter("198.51.100.199/32")       # an address of its own; it claims .243 by GARP
    claimed = spawn("xl-client", "lan_tool.py", "announce", name, "198.51.100.243").finish()
    conflict = node1.wait(lambda e: e["event"] == "conflict")
    assert (conflict["ip"], conflict["phase"], conflict["kind"], conflict["mac"]) == \
        ("198.51.100.243", "announcing", "reply", claimed[0]["mac"])


POOL = [f"198.51.100.{i}" for i in range(244, 248)]


def node_names() -> tuple[str, str, dict[str, list[str]]]:
    """Names for the speakers in xl-node1/xl-node2 under which each owns part of POOL (with only
    four IPs, some name pairs hash all of them to one node)."""
    for attempt in range(100):
        names = [f"node1-{attempt}", f"node2-{attempt}"]
        split: dict[str, list[str]] = {n: [] for n in names}
        for ip in POOL:
            split[owner(ip_address(ip), names) or ""].append(ip)
        if all(split.values()):
            return names[0], names[1], split
    raise AssertionError("no pair of names splits the pool")


def test_heartbeats_failover_within_a_second(spawn: Callable[..., Process], port: int,
                                             client_neighbours: list[str]) -> None:
    n1, n2, split = node_names()
    mac = {n1: NODE_MAC["node1"], n2: NODE_MAC["node2"]}
    hb = ["--key", KEY, "--port", str(port)]
    node1 = speaker(spawn, "xl-node1", n1, POOL, *hb)
    node2 = speaker(spawn, "xl-node2", n2, POOL, *hb)
    for proc, name in ((node1, n1), (node2, n2)):
        seen = proc.wait(lambda e: e["event"] == "alive" and e["nodes"] == [n1, n2])
        assert seen["owned"] == sorted(split[name])
    vip = split[n1][0]
    for proc, name in ((node1, n1), (node2, n2)):
        for ip in split[name]:
            wait_state(proc, ip, "announcing")
    # each IP is answered by its owner only
    for name, ips in split.items():
        for ip in ips:
            assert answers(probe(spawn, "xl-client", ip, 0.2, 0.05).finish()) == {mac[name]}
    # a client that talked to the VIP holds node1's MAC; the take-over's GARP must update it
    client_neighbours.append(vip)
    subprocess.run(netns("xl-client", "ip", "neigh", "replace", vip, "lladdr", NODE_MAC["node1"],
                         "dev", "eth0", "nud", "stale"), check=True)
    watch = probe(spawn, "xl-client", vip, 4.0)
    watch.wait(lambda e: e["mac"] == NODE_MAC["node1"])
    time.sleep(0.2)
    killed_at = time.monotonic()
    node1.stop(signal.SIGKILL)
    node2.wait(lambda e: e["event"] == "alive" and e["nodes"] == [n2], timeout=2)
    node2.wait(lambda e: e.get("state") == "announcing" and e["ip"] == vip, timeout=2)
    events = watch.finish()
    last_old = max(e["t"] for e in events if e["mac"] == NODE_MAC["node1"])
    first_new = min(e["t"] for e in events if e["mac"] == NODE_MAC["node2"] and e["kind"] == "reply")
    gap = first_new - last_old
    print(f"\nfailover: last answer from node1 {last_old - killed_at:+.3f}s after the kill, "
          f"first from node2 {first_new - killed_at:+.3f}s; client-side gap {gap:.3f}s")
    assert gap < 1.0
    assert any(e["kind"] == "announce" and e["mac"] == NODE_MAC["node2"] for e in events)
    neigh = subprocess.run(netns("xl-client", "ip", "neigh", "show", vip, "dev", "eth0"),
                           capture_output=True, text=True, check=True).stdout
    assert NODE_MAC["node2"] in neigh, neigh


def test_forged_and_replayed_heartbeats_are_ignored(spawn: Callable[..., Process], port: int) -> None:
    pool = POOL
    hb = ["--key", KEY, "--port", str(port)]
    capture = spawn("xl-node3", "lan_tool.py", "capture", str(port), "5")
    time.sleep(0.3)
    node1 = speaker(spawn, "xl-node1", "node1", pool, *hb)
    recorded = capture.finish()[0]
    assert recorded["source"] == "198.51.100.11"
    node2 = speaker(spawn, "xl-node2", "node2", pool, *hb)
    node2.wait(lambda e: e["event"] == "alive" and e["nodes"] == ["node1", "node2"])
    node1.stop(signal.SIGKILL)
    node2.wait(lambda e: e["event"] == "alive" and e["nodes"] == ["node2"])
    mark = len(node2.events)

    def tool(*args: str) -> None:
        spawn("xl-node3", "lan_tool.py", *args).finish()

    tool("send", "eth0", str(port), recorded["hex"], recorded["hex"])           # replay
    tool("forge", "eth0", str(port), "node9", "66" * 32, "0")                   # wrong key
    tool("forge", "eth0", str(port), "node8", KEY, "60000")                     # a minute old
    tool("forge", "eth0", str(port), "node7", KEY, "0")                         # a real member
    node2.wait(lambda e: e["event"] == "alive" and "node7" in e["nodes"])
    later = node2.events[mark:]
    rejects = {(e["reason"], e["source"].split("@")[0]) for e in later if e["event"] == "reject"}
    assert ("replay", "node1") in rejects and ("stale", "node8") in rejects
    assert any(reason == "bad_hmac" for reason, _ in rejects)
    assert all(set(e["nodes"]) <= {"node2", "node7"} for e in later if e["event"] == "alive")
