"""Per-interface layer-2 announcement state (pure: frames in, frames out, the caller's clock).

Each owned IP goes PROBING -> ANNOUNCING, or PROBING -> CONFLICT -> PROBING (retry) when a
foreign MAC answers for it. Only ANNOUNCING IPs are answered (ARP requests, Neighbor
Solicitations); everything else stays silent. MACs of peer speakers ("friendly") never count as
foreign: during a hand-over the previous owner may still answer for a moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address

from ..net import arp, ndp
from ..net.ethernet import format_mac

IPAddress = IPv4Address | IPv6Address
PROBING = "probing"
ANNOUNCING = "announcing"
CONFLICT = "conflict"


@dataclass(frozen=True)
class AnnounceConfig:
    probe_count: int = 2             # RFC 5227 uses 3 probes over 1-2 s; failover cannot wait that
    probe_interval: float = 0.05
    probe_wait: float = 0.15         # silence needed after the last probe
    burst: tuple[float, ...] = (0.0, 0.1, 0.3, 0.7)   # gratuitous ARP / unsolicited NA offsets
    conflict_retry: float = 5.0      # probe again this long after a conflict

    def __post_init__(self) -> None:
        if self.probe_count < 0 or self.probe_interval < 0 or self.probe_wait < 0:
            raise ValueError("probe_count, probe_interval and probe_wait must not be negative")
        if not self.burst or sorted(self.burst) != list(self.burst) or self.burst[0] < 0:
            raise ValueError(f"burst offsets {self.burst} must be a non-empty ascending list >= 0")


@dataclass(frozen=True)
class Conflict:
    """A foreign MAC claims (`kind` "reply") or probes for (`kind` "probe") one of our IPs."""
    interface: str
    ip: IPAddress
    mac: bytes
    phase: str                       # PROBING or ANNOUNCING: what we were doing with the IP
    kind: str

    def __str__(self) -> str:
        what = "answers for" if self.kind == "reply" else "probes for"
        return (f"{format_mac(self.mac)} on {self.interface} {what} {self.ip} while this node is "
                f"{self.phase} it")


@dataclass
class _Entry:
    state: str
    next_at: float
    step: int = 0                    # probes sent, or burst frames sent
    start: float = 0.0               # when the burst began
    conflicts: list[Conflict] = field(default_factory=list)


class InterfaceState:
    def __init__(self, interface: str, mac: bytes, link_local: IPv6Address | None,
                 config: AnnounceConfig = AnnounceConfig()) -> None:
        self.interface = interface
        self.mac = mac
        self.link_local = link_local
        self.config = config
        self.friendly: frozenset[bytes] = frozenset()
        self._ips: dict[IPAddress, _Entry] = {}

    def states(self) -> dict[IPAddress, str]:
        return {ip: entry.state for ip, entry in self._ips.items()}

    def set_owned(self, ips: Iterable[IPAddress], now: float, probe: bool = True) -> None:
        """Own exactly `ips`: new ones start probing (or announcing at once with probe=False),
        dropped ones go silent immediately."""
        wanted = set(ips)
        for ip in list(self._ips):
            if ip not in wanted:
                del self._ips[ip]
        for ip in wanted - set(self._ips):
            if probe and self.config.probe_count > 0:
                self._ips[ip] = _Entry(PROBING, now)
            else:
                self._ips[ip] = _Entry(ANNOUNCING, now, start=now)

    def update_link(self, mac: bytes, link_local: IPv6Address | None, now: float) -> None:
        """A new MAC makes every cache stale: announce all IPs again."""
        changed = mac != self.mac
        self.mac, self.link_local = mac, link_local
        if changed:
            for entry in self._ips.values():
                if entry.state == ANNOUNCING:
                    entry.step, entry.start, entry.next_at = 0, now, now

    def next_deadline(self) -> float | None:
        pending = [e.next_at for e in self._ips.values()
                   if e.state != ANNOUNCING or e.step < len(self.config.burst)]
        return min(pending, default=None)

    def due(self, now: float) -> list[bytes]:
        """Frames whose time has come (probes, gratuitous announcements); advances the states."""
        frames: list[bytes] = []
        cfg = self.config
        for ip, entry in self._ips.items():
            if entry.next_at > now:
                continue
            if entry.state == CONFLICT:
                entry.state, entry.step, entry.next_at = PROBING, 0, now
                entry.conflicts.clear()
            if entry.state == PROBING:
                if entry.step < cfg.probe_count:
                    frames.append(self._probe(ip))
                    entry.step += 1
                    entry.next_at = now + (cfg.probe_interval if entry.step < cfg.probe_count
                                           else cfg.probe_wait)
                    continue
                entry.state, entry.step, entry.start = ANNOUNCING, 0, now
            fired = False            # offsets missed by a late tick collapse into one frame
            while entry.step < len(cfg.burst) and entry.start + cfg.burst[entry.step] <= now:
                entry.step += 1
                fired = True
            if fired:
                frames.append(self._announce(ip))
            if entry.step < len(cfg.burst):
                entry.next_at = entry.start + cfg.burst[entry.step]
        return frames

    def handle(self, data: bytes, now: float) -> tuple[list[bytes], list[Conflict]]:
        """Replies to send for one received frame, and the conflicts it reveals."""
        decoded = arp.decode_frame(data)
        if decoded is not None:
            return self._handle_arp(decoded[0].src, decoded[1], now)
        packet = ndp.decode_frame(data)
        if packet is not None:
            return self._handle_ndp(packet, now)
        return [], []

    def _foreign(self, mac: bytes) -> bool:
        return mac != self.mac and mac not in self.friendly

    def _conflict(self, ip: IPAddress, mac: bytes, kind: str, now: float) -> list[Conflict]:
        entry = self._ips[ip]
        conflict = Conflict(self.interface, ip, mac, entry.state, kind)
        if entry.state == PROBING:
            entry.state, entry.next_at = CONFLICT, now + self.config.conflict_retry
            entry.conflicts.append(conflict)
        return [conflict]

    def set_friendly(self, macs: frozenset[bytes], now: float) -> None:
        """Peer speakers' MACs. An IP held back only because of MACs that turn out to be
        peers (speakers starting together probe the same IPs before they hear each other) is
        probed again at once instead of after conflict_retry."""
        self.friendly = macs
        for entry in self._ips.values():
            if entry.state == CONFLICT and entry.conflicts and \
                    all(c.mac in macs for c in entry.conflicts):
                entry.state, entry.next_at, entry.step = PROBING, now, 0
                entry.conflicts.clear()

    def _handle_arp(self, src: bytes, packet: arp.ArpPacket, now: float
                    ) -> tuple[list[bytes], list[Conflict]]:
        if src == self.mac or packet.sender_mac == self.mac:
            return [], []
        conflicts: list[Conflict] = []
        replies: list[bytes] = []
        if packet.sender_ip in self._ips and self._foreign(packet.sender_mac):
            conflicts += self._conflict(packet.sender_ip, packet.sender_mac, "reply", now)
        target = self._ips.get(packet.target_ip)
        if packet.op == arp.REQUEST and target is not None and not packet.is_announcement:
            if packet.is_probe and self._foreign(packet.sender_mac) and target.state != CONFLICT:
                conflicts += self._conflict(packet.target_ip, packet.sender_mac, "probe", now)
            if target.state == ANNOUNCING:
                replies.append(arp.reply_to(packet, self.mac))
        return replies, conflicts

    def _handle_ndp(self, packet: ndp.NdpPacket, now: float) -> tuple[list[bytes], list[Conflict]]:
        message = packet.message
        if packet.src_mac == self.mac:
            return [], []
        conflicts: list[Conflict] = []
        if packet.src in self._ips and self._foreign(packet.src_mac):
            conflicts += self._conflict(packet.src, packet.src_mac, "reply", now)
        entry = self._ips.get(message.target)
        if entry is None or message.target == packet.src:
            return [], conflicts
        if isinstance(message, ndp.NeighborAdvertisement):
            claimed = message.target_mac or packet.src_mac
            if self._foreign(claimed):
                conflicts += self._conflict(message.target, claimed, "reply", now)
            return [], conflicts
        if packet.is_dad and self._foreign(packet.src_mac) and entry.state != CONFLICT:
            conflicts += self._conflict(message.target, packet.src_mac, "probe", now)
        if entry.state != ANNOUNCING:
            return [], conflicts
        source = self.link_local or message.target
        return [ndp.advertise_reply(packet, self.mac, source)], conflicts

    def _probe(self, ip: IPAddress) -> bytes:
        if isinstance(ip, IPv4Address):
            return arp.probe(self.mac, ip)
        return ndp.dad_probe(self.mac, ip)

    def _announce(self, ip: IPAddress) -> bytes:
        if isinstance(ip, IPv4Address):
            return arp.announcement(self.mac, ip)
        return ndp.unsolicited_advert(self.mac, self.link_local or ip, ip)
