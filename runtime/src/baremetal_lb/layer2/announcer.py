"""Layer-2 announcements on the wire: one thread per interface drives an `InterfaceState` with
two AF_PACKET sockets (ARP, and IPv6 filtered to NS/NA). Needs CAP_NET_RAW.

A speaker's reconcile loop calls `set_owned(interface, ips)` with the IPs this node owns there
(ownership hash over live members), `set_friendly_macs` with its peers' MACs, and `link_changed`
with each link snapshot; conflicts and state changes come back through callbacks, which run on
the interface threads and must be short.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from ipaddress import IPv6Address

from ..health import ThreadHealth
from ..net import ndp
from ..net.ethernet import ETH_P_ARP, ETH_P_IPV6
from ..net.links import Link, snapshot
from ..net.packet_socket import PacketSocket
from .state import AnnounceConfig, Conflict, InterfaceState, IPAddress

log = logging.getLogger(__name__)
StateCallback = Callable[[str, IPAddress, str], None]


class InterfaceAnnouncer:
    def __init__(self, link: Link, config: AnnounceConfig, *,
                 on_conflict: Callable[[Conflict], None] | None,
                 on_state: StateCallback | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.link = link
        self._clock = clock
        self._on_conflict = on_conflict
        self._on_state = on_state
        self._state = InterfaceState(link.name, link.mac, link.link_local, config)
        self._lock = threading.Lock()
        self._stop = False
        self._groups: set[bytes] = set()
        self._arp = PacketSocket(link.name, ETH_P_ARP)
        try:
            self._ndp = PacketSocket(link.name, ETH_P_IPV6)
        except OSError:
            self._arp.close()
            raise
        self._wake_r, self._wake_w = os.pipe()
        self.health = ThreadHealth(f"layer2 responder on {link.name}", clock=clock)
        self._thread = threading.Thread(target=self._run, name=f"layer2-{link.name}", daemon=True)
        self._thread.start()
        self.health.watch(self._thread)

    def _wake(self) -> None:
        os.write(self._wake_w, b"x")

    def set_owned(self, ips: Iterable[IPAddress], probe: bool) -> None:
        with self._lock:
            self._state.set_owned(ips, self._clock(), probe)
            self._sync_groups()
        self._wake()

    def set_friendly(self, macs: frozenset[bytes]) -> None:
        with self._lock:
            self._state.set_friendly(macs, self._clock())
        self._wake()

    def update_link(self, link: Link) -> None:
        with self._lock:
            self.link = link
            self._state.update_link(link.mac, link.link_local, self._clock())
        self._wake()

    def states(self) -> dict[IPAddress, str]:
        with self._lock:
            return self._state.states()

    def _sync_groups(self) -> None:
        # The NIC filters multicast: join the solicited-node group of every IPv6 address we own,
        # which the kernel does not do for addresses it does not hold itself.
        wanted = {ndp.multicast_mac(ndp.solicited_node(ip))
                  for ip in self._state.states() if isinstance(ip, IPv6Address)}
        for mac in wanted - self._groups:
            self._ndp.join_multicast(mac)
        for mac in self._groups - wanted:
            self._ndp.leave_multicast(mac)
        self._groups = wanted

    def _send(self, frames: list[bytes]) -> None:
        for frame in frames:
            try:
                self._arp.send(frame)   # AF_PACKET sends any ethertype given in the frame
            except OSError as err:
                log.warning("layer2 %s: cannot send a frame: %s", self.link.name, err)

    def _run(self) -> None:
        # Nothing may end this thread but close(): a dead thread would leave the node owning
        # IPs it no longer answers for (found by bench/speaker_l2.py with a link flap).
        # A loop that keeps failing is reported (health), so the process gets restarted.
        while not self._stop:
            try:
                self._loop()
            except Exception as exc:  # noqa: BLE001
                log.exception("layer2 %s: announcer loop failed; restarting it", self.link.name)
                self.health.failed(exc)
                time.sleep(0.05)

    def _loop(self) -> None:
        before: dict[IPAddress, str] = {}
        while not self._stop:
            with self._lock:
                now = self._clock()
                frames = self._state.due(now)
                deadline = self._state.next_deadline()
            self._send(frames)
            self._report_states(before)
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            fds = [self._arp.fileno(), self._ndp.fileno(), self._wake_r]
            readable, _, _ = select.select(fds, [], [], timeout)
            if self._wake_r in readable:
                os.read(self._wake_r, 4096)
            for sock in (self._arp, self._ndp):
                if sock.fileno() not in readable:
                    continue
                for data in sock.receive_ready():
                    with self._lock:
                        replies, conflicts = self._state.handle(data, self._clock())
                    self._send(replies)
                    for conflict in conflicts:
                        log.warning("layer2 conflict: %s", conflict)
                        if self._on_conflict is not None:
                            self._on_conflict(conflict)
            self._report_states(before)
            self.health.ok()

    def _report_states(self, before: dict[IPAddress, str]) -> None:
        with self._lock:
            now = self._state.states()
        for ip, state in now.items():
            if before.get(ip) != state and self._on_state is not None:
                self._on_state(self.link.name, ip, state)
        before.clear()
        before.update(now)

    def close(self) -> None:
        self.health.stopped()
        self._stop = True
        self._wake()
        self._thread.join()
        self._arp.close()
        self._ndp.close()
        os.close(self._wake_r)
        os.close(self._wake_w)


class Layer2Announcer:
    """Answers ARP/NDP for the IPs this node owns, per interface, and nothing else."""

    def __init__(self, config: AnnounceConfig | None = None, *,
                 on_conflict: Callable[[Conflict], None] | None = None,
                 on_state: StateCallback | None = None) -> None:
        self.config = config or AnnounceConfig()
        self._on_conflict = on_conflict
        self._on_state = on_state
        self._interfaces: dict[str, InterfaceAnnouncer] = {}
        self._wanted: dict[str, tuple[frozenset[IPAddress], bool]] = {}
        self._friendly: frozenset[bytes] = frozenset()
        self._lock = threading.Lock()

    def set_owned(self, interface: str, ips: Iterable[IPAddress], *, probe: bool = True) -> None:
        """Announce exactly `ips` on `interface` from now on. New IPs are probed first unless
        `probe` is False (e.g. taking over from a peer known dead, to save the probe time).
        An interface that does not exist yet is remembered and served once `link_changed`
        reports it."""
        ips = frozenset(ips)
        with self._lock:
            self._wanted[interface] = (ips, probe)
            self._apply(interface, None)

    def set_friendly_macs(self, macs: Iterable[bytes]) -> None:
        with self._lock:
            self._friendly = frozenset(macs)
            for announcer in self._interfaces.values():
                announcer.set_friendly(self._friendly)

    def link_changed(self, links: Mapping[str, Link]) -> None:
        with self._lock:
            for name in set(self._wanted) | set(self._interfaces):
                self._apply(name, links)

    def states(self, interface: str) -> dict[IPAddress, str]:
        with self._lock:
            announcer = self._interfaces.get(interface)
            return {} if announcer is None else announcer.states()

    def healths(self) -> list[ThreadHealth]:
        """One per interface responder running now."""
        with self._lock:
            return [announcer.health for announcer in self._interfaces.values()]

    def close(self) -> None:
        with self._lock:
            for announcer in self._interfaces.values():
                announcer.close()
            self._interfaces.clear()

    def _apply(self, name: str, links: Mapping[str, Link] | None) -> None:
        ips, probe = self._wanted.get(name, (frozenset(), True))
        announcer = self._interfaces.get(name)
        link = (links if links is not None else snapshot()).get(name) if ips or announcer else None
        if announcer is not None and (not ips or link is None or link.index != announcer.link.index):
            announcer.close()           # gone, replaced (new index) or nothing left to announce
            del self._interfaces[name]
            announcer = None
        if not ips or link is None:
            if ips:
                log.warning("layer2: interface %s does not exist; waiting for it", name)
            return
        if announcer is None:
            announcer = InterfaceAnnouncer(link, self.config, on_conflict=self._on_conflict,
                                           on_state=self._on_state)
            announcer.set_friendly(self._friendly)
            self._interfaces[name] = announcer
        elif link != announcer.link:
            announcer.update_link(link)
        announcer.set_owned(ips, probe)
