"""What one node's BGP speaker should do: its peers and the prefixes it announces to them.

Pure, frozen values: the speaker builds a `BgpConfig` per reconcile, an engine makes the router
daemon match it. Validation happens here so every engine can trust what it gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# Names end up in FRR prefix-list/route-map/profile names: keep them to one safe token.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_STANDARD = re.compile(r"^(\d+):(\d+)$")
_LARGE = re.compile(r"^large:(\d+):(\d+):(\d+)$")


def check_name(kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"{kind} name {name!r} must be 1-63 letters, digits, '.', '_' or '-' "
                         "starting with a letter or digit")


def community_key(text: str) -> tuple[int, ...]:
    """(value,) for a standard community "AA:NN", (g, l1, l2) for "large:G:L1:L2"; sorts them
    numerically, the order FRR prints them in."""
    standard = _STANDARD.match(text)
    if standard:
        high, low = int(standard[1]), int(standard[2])
        if high > 0xFFFF or low > 0xFFFF:
            raise ValueError(f"community {text!r}: both halves of AA:NN must be 0-65535")
        return ((high << 16) | low,)
    large = _LARGE.match(text)
    if large:
        parts = tuple(int(part) for part in large.groups())
        if any(part > 0xFFFFFFFF for part in parts):
            raise ValueError(f"large community {text!r}: each part must be 0-4294967295")
        return parts
    raise ValueError(f"community {text!r} is neither AA:NN (0-65535 each) nor large:G:L1:L2")


@dataclass(frozen=True)
class BfdProfile:
    """FRR/MetalLB BFD timers in milliseconds; None keeps the daemon's default."""
    name: str
    receive_interval: int | None = None      # 10-60000
    transmit_interval: int | None = None     # 10-60000
    detect_multiplier: int | None = None     # 2-255
    echo_interval: int | None = None         # 10-60000
    echo_mode: bool = False
    passive_mode: bool = False
    minimum_ttl: int | None = None           # 1-254, multi-hop sessions only

    def __post_init__(self) -> None:
        check_name("BFD profile", self.name)
        for field, low, high in (("receive_interval", 10, 60000), ("transmit_interval", 10, 60000),
                                 ("detect_multiplier", 2, 255), ("echo_interval", 10, 60000),
                                 ("minimum_ttl", 1, 254)):
            value = getattr(self, field)
            if value is not None and not low <= value <= high:
                raise ValueError(f"BFD profile {self.name}: {field} {value} is outside "
                                 f"{low}-{high}")


@dataclass(frozen=True)
class Peer:
    name: str
    address: IPAddress
    peer_asn: int
    my_asn: int
    port: int = 179
    hold_time: int | None = None             # seconds; 0 or 3-65535
    keepalive_time: int | None = None        # seconds; defaults to hold_time / 3 with a hold time
    connect_time: int | None = None          # seconds between connection attempts
    # Never in a repr (logs, tracebacks, test output); compared and hashed as usual.
    password: str | None = dataclass_field(default=None, repr=False)
    bfd: BfdProfile | None = None
    ebgp_multihop: bool = False
    graceful_restart: bool = False
    source_address: IPAddress | None = None
    router_id: IPv4Address | None = None     # only BgpConfig.router_id reaches FRR

    def __post_init__(self) -> None:
        check_name("BGP peer", self.name)
        for field in ("peer_asn", "my_asn"):
            if not 1 <= getattr(self, field) <= 0xFFFFFFFF:
                raise ValueError(f"BGP peer {self.name}: {field} {getattr(self, field)} is not "
                                 "an AS number (1-4294967295)")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"BGP peer {self.name}: port {self.port} is outside 1-65535")
        if self.hold_time is not None and self.hold_time != 0 and not 3 <= self.hold_time <= 65535:
            raise ValueError(f"BGP peer {self.name}: hold time {self.hold_time}s must be 0 or "
                             "3-65535")
        if self.keepalive_time is not None and (
                self.hold_time is None or not 0 <= self.keepalive_time <= self.hold_time):
            raise ValueError(f"BGP peer {self.name}: keepalive {self.keepalive_time}s needs a "
                             f"hold time and must not exceed it (hold time: {self.hold_time})")
        if self.connect_time is not None and not 1 <= self.connect_time <= 65535:
            raise ValueError(f"BGP peer {self.name}: connect time {self.connect_time}s is "
                             "outside 1-65535")
        if self.password is not None and (not self.password or any(
                c.isspace() or not c.isprintable() for c in self.password)):
            raise ValueError(f"BGP peer {self.name}: the password must be non-empty printable "
                             "text without spaces (FRR reads it as one word)")
        if self.source_address is not None and self.source_address.version != self.address.version:
            raise ValueError(f"BGP peer {self.name}: source address {self.source_address} and "
                             f"peer address {self.address} are of different IP families")

    def effective_keepalive(self) -> int | None:
        if self.keepalive_time is not None:
            return self.keepalive_time
        return None if self.hold_time is None else self.hold_time // 3


@dataclass(frozen=True)
class Announcement:
    prefix: IPNetwork
    communities: tuple[str, ...] = ()        # "AA:NN" and "large:G:L1:L2"
    local_pref: int | None = None            # only iBGP peers receive it
    peers: frozenset[str] | None = None      # peer names; None: every peer of the prefix's family

    def __post_init__(self) -> None:
        for community in self.communities:
            community_key(community)
        if self.local_pref is not None and not 0 <= self.local_pref <= 0xFFFFFFFF:
            raise ValueError(f"announcement {self.prefix}: local preference {self.local_pref} "
                             "is outside 0-4294967295")

    def reaches(self, peer: Peer) -> bool:
        return (peer.address.version == self.prefix.version
                and (self.peers is None or peer.name in self.peers))


@dataclass(frozen=True)
class BgpConfig:
    router_id: IPv4Address | None
    asn: int
    peers: tuple[Peer, ...] = ()
    announcements: tuple[Announcement, ...] = ()

    def __post_init__(self) -> None:
        names = [peer.name for peer in self.peers]
        addresses = [peer.address for peer in self.peers]
        if len(set(names)) != len(names):
            raise ValueError(f"BGP peer names must be unique on a node: {sorted(names)}")
        if len(set(addresses)) != len(addresses):
            raise ValueError("two BGP peers of one node share an address: "
                             f"{sorted(str(a) for a in addresses)}; FRR has one neighbor per "
                             "address")
        if self.peers and not 1 <= self.asn <= 0xFFFFFFFF:
            raise ValueError(f"AS number {self.asn} is outside 1-4294967295")
        profiles: dict[str, BfdProfile] = {}
        for peer in self.peers:
            if peer.bfd is not None and profiles.setdefault(peer.bfd.name, peer.bfd) != peer.bfd:
                raise ValueError(f"BFD profile {peer.bfd.name} has two different definitions")
        known = set(names)
        for announcement in self.announcements:
            unknown = (announcement.peers or frozenset()) - known
            if unknown:
                raise ValueError(f"announcement {announcement.prefix} names unknown peers "
                                 f"{sorted(unknown)}")

    def bfd_profiles(self) -> tuple[BfdProfile, ...]:
        found = {peer.bfd.name: peer.bfd for peer in self.peers if peer.bfd is not None}
        return tuple(found[name] for name in sorted(found))


def parse_ip(text: str, what: str) -> IPAddress:
    try:
        return ip_address(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not an IP address") from None
