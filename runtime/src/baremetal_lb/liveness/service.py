"""Heartbeats over UDP on the announced LAN: one thread sends ours and reads the others'.

Transport: IPv4 limited broadcast (255.255.255.255) or, on IPv6-only LANs, the all-nodes group
ff02::1, always bound to the announced interface. Broadcast rather than a multicast group because
liveness has to share fate with ARP, which is broadcast too: IGMP snooping, multicast filters or
a querier outage can cut multicast while ARP still works (or the reverse), and then heartbeats
would report a peer dead that clients still reach. ff02::1 is where unsolicited NAs go, so the
same holds for IPv6. Neither crosses a router, so the heartbeat domain is exactly the segment.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from baremetal_lb.health import ThreadHealth

from . import membership as ms
from .membership import Membership
from .wire import Heartbeat, WireError, check_key, decode, encode

log = logging.getLogger(__name__)
DEFAULT_PORT = 7473
SO_BINDTODEVICE = 25


@dataclass(frozen=True)
class HeartbeatConfig:
    node: str
    interface: str
    keys: Mapping[int, bytes]        # key id -> shared key; all accepted
    key_id: int                      # the one we sign with
    port: int = DEFAULT_PORT
    interval: float = 0.1            # seconds between our heartbeats
    hold: float = 0.35               # peers drop us this long after our last heartbeat
    family: int = 4
    max_skew_ms: int | None = 10_000
    warmup: float | None = None      # default: hold, i.e. one detection time of listening

    def __post_init__(self) -> None:
        if self.key_id not in self.keys:
            raise ValueError(f"heartbeat key id {self.key_id} is not among the keys {sorted(self.keys)}")
        for key in self.keys.values():
            check_key(key)
        if not 0 < self.interval < self.hold:
            raise ValueError(f"heartbeat interval {self.interval}s must be positive and below the "
                             f"hold time {self.hold}s (use hold >= 3 x interval to survive losses)")
        if self.family not in (4, 6):
            raise ValueError(f"heartbeat family {self.family} must be 4 or 6")


def open_socket(interface: str, port: int, family: int) -> tuple[socket.socket, tuple[str, int]]:
    """A UDP socket bound to `interface` and the destination that reaches every peer there."""
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    sock = socket.socket(af, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, interface.encode())
        if family == 4:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
            sock.bind(("", port))
            return sock, ("255.255.255.255", port)
        index = socket.if_nametoindex(interface)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
        sock.bind(("::", port))
        return sock, (f"ff02::1%{interface}", port)
    except OSError:
        sock.close()
        raise


@dataclass
class Stats:
    verdicts: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    send_errors: int = 0

    def count(self, verdict: str) -> None:
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1


class HeartbeatService:
    """Sends this node's heartbeats and keeps the membership table; thread-safe accessors.

    `on_change(alive)` runs on the service thread whenever the set of live nodes changes; keep it
    short (hand the set to the reconcile loop). Heartbeats are sent only once this node is
    `ready`: peers hand IPs over when they hear us, and we claim them only after warm-up."""

    def __init__(self, config: HeartbeatConfig, mac: bytes, *,
                 on_change: Callable[[frozenset[str]], None] | None = None,
                 on_reject: Callable[[str, str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        self.config = config
        self._mac = mac
        self._on_change = on_change
        self._on_reject = on_reject
        self._clock = clock
        self._wall_ms = wall_ms
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._incarnation = time.time_ns()
        self._sequence = 0
        self.stats = Stats()
        warmup = config.hold if config.warmup is None else config.warmup
        self._membership = Membership(config.node, self._incarnation, now=clock(), warmup=warmup,
                                      max_skew_ms=config.max_skew_ms)
        self._alive = self._membership.alive(clock())
        self._sock, self._destination = open_socket(config.interface, config.port, config.family)
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{config.interface}",
                                        daemon=True)
        self.health = ThreadHealth(f"heartbeats on {config.interface}", clock=clock)

    def start(self) -> None:
        self._thread.start()
        self.health.watch(self._thread)

    def sending(self) -> bool:
        """Whether our heartbeats still go out: the thread runs and has not been failing for
        longer than the hold time (after which peers count us dead and take over)."""
        return self._thread.is_alive() and self.health.failing_for() < self.config.hold

    def stop(self, leave: bool = True) -> None:
        """Stop; with `leave`, tell peers first so they take over without waiting for the hold."""
        self.health.stopped()
        self._stop.set()
        self._thread.join()
        if leave:
            for _ in range(2):             # one datagram may be lost; a duplicate is a replay
                self._send(leaving=True)
        self._sock.close()

    def alive(self) -> frozenset[str]:
        with self._lock:
            return self._membership.alive(self._clock())

    def ready(self) -> bool:
        with self._lock:
            return self._membership.ready(self._clock())

    def link_up(self) -> bool:
        with self._lock:
            return self._membership.eligible

    def peer_macs(self) -> frozenset[bytes]:
        with self._lock:
            return self._membership.peer_macs(self._clock())

    def members(self) -> dict[str, ms.Member]:
        with self._lock:
            return self._membership.members(self._clock())

    def set_link(self, up: bool, mac: bytes | None = None) -> None:
        """Follow the LAN link: carrier loss withdraws this node; a new MAC goes into heartbeats."""
        with self._lock:
            if mac is not None:
                self._mac = mac
            self._membership.set_local(up, self._clock())
        self._changed()

    def _send(self, leaving: bool = False) -> None:
        self._sequence += 1
        beat = Heartbeat(self.config.node, self._incarnation, self._sequence, self._wall_ms(),
                         int(self.config.hold * 1000), self._mac, leaving)
        try:
            self._sock.sendto(encode(beat, self.config.key_id, self.config.keys[self.config.key_id]),
                              self._destination)
            self.stats.sent += 1
        except OSError:
            self.stats.send_errors += 1

    def _changed(self) -> None:
        with self._lock:
            alive = self._membership.alive(self._clock())
            changed, self._alive = alive != self._alive, alive
        if changed and self._on_change is not None:
            self._on_change(alive)

    def _receive(self) -> None:
        try:
            data, source = self._sock.recvfrom(2048)
        except OSError:
            return
        try:
            beat = decode(data, self.config.keys)
        except WireError as err:
            self.stats.count(err.reason)
            if self._on_reject is not None:
                self._on_reject(err.reason, str(source[0]))
            return
        with self._lock:
            verdict = self._membership.observe(beat, str(source[0]), self._clock(), self._wall_ms())
        self.stats.count(verdict)
        if verdict in (ms.REPLAY, ms.STALE, ms.DUPLICATE_NODE) and self._on_reject is not None:
            self._on_reject(verdict, f"{beat.node}@{source[0]}")

    def _run(self) -> None:
        next_send = self._clock()
        while not self._stop.is_set():
            try:
                next_send = self._step(next_send)
                self.health.ok()
            except Exception as exc:  # noqa: BLE001 - one bad pass must not end heartbeats
                log.exception("heartbeats on %s: a pass failed", self.config.interface)
                self.health.failed(exc)
                self._stop.wait(self.config.interval)

    def _step(self, next_send: float) -> float:
        """One pass: expire, send when due, read one datagram; returns when to send next."""
        now = self._clock()
        with self._lock:
            self._membership.expire(now)
            next_expiry = self._membership.next_expiry()
            ready = self._membership.ready(now)
        if now >= next_send:
            if ready:
                self._send()
            next_send = now + self.config.interval
        deadline = min(next_send, next_expiry) if next_expiry is not None else next_send
        readable, _, _ = select.select([self._sock], [], [], max(0.0, deadline - self._clock()))
        if readable:
            self._receive()
        self._changed()          # joins, leaves, expiries and the end of warm-up
        return next_send
