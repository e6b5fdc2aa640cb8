"""Who is alive on the LAN, from authenticated heartbeats (pure: the caller passes the clocks).

Failure model (what this table can and cannot tell):
- Crash or power loss of a speaker: its heartbeats stop; after its declared hold time the others
  drop it and the ownership hash moves its IPs. Detection time = the sender's hold time.
- Graceful stop: the speaker sends a LEAVING heartbeat and is dropped at once.
- A speaker that loses carrier on the LAN marks itself ineligible (`set_local(False)`) and so
  withdraws; when the link returns it waits one warm-up period (hears its peers) before claiming,
  so it does not claim every IP in the moment it believes itself alone.
- Partition into groups that cannot hear each other: each group elects owners among the members
  it sees, so an IP can have one owner per group (split brain). If the groups share the client
  segment, clients follow the latest gratuitous ARP; the layer-2 announcer reports such foreign
  replies as conflicts. Heartbeats take the same broadcast path as ARP, which keeps the window
  small: a partition that breaks heartbeats usually breaks ARP between the same hosts too.
- Attackers on the LAN without the key cannot add members (HMAC) nor keep a dead member alive by
  replaying its heartbeats: per sender, (incarnation, sequence) must grow, and the send time must
  be within `max_skew_ms` of our clock (this bounds replays after the receiver itself restarts).
  Clocks must therefore agree within `max_skew_ms`; refused heartbeats are counted as "stale".
"""

from __future__ import annotations

from dataclasses import dataclass

from .wire import Heartbeat

ACCEPTED = "accepted"
JOINED = "joined"
LEFT = "left"
REPLAY = "replay"
STALE = "stale"
SELF = "self"
DUPLICATE_NODE = "duplicate_node"


@dataclass(frozen=True)
class Member:
    node: str
    mac: bytes
    address: str
    incarnation: int
    expires: float            # monotonic seconds


class Membership:
    def __init__(self, node: str, incarnation: int, *, now: float, warmup: float,
                 max_skew_ms: int | None = 10_000, min_hold_ms: int = 50,
                 max_hold_ms: int = 30_000) -> None:
        self.node = node
        self.incarnation = incarnation
        self.warmup = warmup
        self.max_skew_ms = max_skew_ms
        self.min_hold_ms = min_hold_ms
        self.max_hold_ms = max_hold_ms
        self._members: dict[str, Member] = {}
        # Kept after a member expires or leaves: forgetting it would let a replay revive it.
        self._last_counter: dict[str, tuple[int, int]] = {}
        self._local = True
        self._ready_at = now + warmup

    def observe(self, beat: Heartbeat, source: str, now: float, wall_ms: int) -> str:
        """Apply one authentic heartbeat; returns the verdict (see module constants)."""
        if beat.node == self.node:
            return SELF if beat.incarnation == self.incarnation else DUPLICATE_NODE
        if self.max_skew_ms is not None and abs(wall_ms - beat.sent_ms) > self.max_skew_ms:
            return STALE
        last = self._last_counter.get(beat.node)
        if last is not None and beat.counter <= last:
            return REPLAY
        self._last_counter[beat.node] = beat.counter
        if beat.leaving:
            return LEFT if self._members.pop(beat.node, None) is not None else ACCEPTED
        hold = min(max(beat.hold_ms, self.min_hold_ms), self.max_hold_ms) / 1000
        known = beat.node in self._members
        self._members[beat.node] = Member(beat.node, beat.mac, source, beat.incarnation, now + hold)
        return ACCEPTED if known else JOINED

    def expire(self, now: float) -> list[str]:
        """Drop members whose hold time ran out; returns their names."""
        gone = [name for name, m in self._members.items() if m.expires <= now]
        for name in gone:
            del self._members[name]
        return sorted(gone)

    def next_expiry(self) -> float | None:
        return min((m.expires for m in self._members.values()), default=None)

    def members(self, now: float) -> dict[str, Member]:
        return {name: m for name, m in self._members.items() if m.expires > now}

    def set_local(self, eligible: bool, now: float) -> None:
        """Whether this node can serve the LAN (carrier up); regaining it restarts the warm-up."""
        if eligible and not self._local:
            self._ready_at = now + self.warmup
        self._local = eligible

    @property
    def eligible(self) -> bool:
        """Whether this node can serve the LAN now (its carrier is up)."""
        return self._local

    def ready(self, now: float) -> bool:
        """True once this node has listened long enough to know its peers, and is eligible."""
        return self._local and now >= self._ready_at

    def alive(self, now: float) -> frozenset[str]:
        """Nodes that may own IPs now: live peers, plus this node once `ready` (before that our
        peers do not know us either: heartbeats start with readiness)."""
        names = set(self.members(now))
        if self.ready(now):
            names.add(self.node)
        return frozenset(names)

    def peer_macs(self, now: float) -> frozenset[bytes]:
        return frozenset(m.mac for m in self.members(now).values())
