"""BgpConfig -> FRR configuration for one node, split so that announcement changes can be
applied as a small vtysh delta instead of a full reload.

Announcing: `network P` with `no bgp network import-check`. bgpd originates the prefix the
moment the command lands (no zebra round trip, no route of our own needed), and nothing is
installed in the node's kernel. The alternative, a static blackhole route redistributed into
BGP, goes staticd -> zebra -> bgpd (slower) and puts a blackhole for the Service IP in the
node's own routing table, which would swallow traffic the node must deliver locally.

Per-peer and per-prefix attributes: every neighbor has one outbound route-map, `blb-out-<peer>`,
with one entry per distinct attribute set (communities, large communities, local preference)
matching a prefix-list of the prefixes that carry it to that peer; anything else hits the
route-map's implicit deny. Entry and prefix-list sequence numbers derive from a hash of their
content, so adding or removing one prefix never renumbers the others, and the delta stays one
line or one block. `bgp route-map delay-timer 0` makes bgpd act on prefix-list and route-map
edits at once instead of after its default 5 s batching.

Holding a peer: until the BFD session protecting a peer is Up, that peer is rendered as if no
announcement reached it: its route-map and prefix-lists are empty, so its outbound policy
denies everything. bgpd only tears a session down on a BFD Up -> Down transition, and bgpd
re-creates the BFD session with the local address once BGP is Established, so for the first
second or two of a session a dead link goes unnoticed until the hold timer. Announcing nothing
before BFD is Up means no route ever depends on an unprotected session.

Policy changes for prefixes already originated: FRR 8.4 does not re-run a peer's outbound
policy when the route-map or prefix-lists it names change (a release after a hold, new
communities for an announced prefix), so the delta re-originates every prefix whose policy lines
changed (`no network P`, `network P` in one block): bgpd runs it through the new policy, and a
peer whose view did not change gets nothing new (bgpd suppresses an update identical to what
the peer holds). Tried first and dropped, both found wanting in the lab: switching the neighbor
to another route-map (it moves the peer to another update group, after which a later
withdrawal was lost: the prefix stayed in the peer's adj-out), and a `deny 1` entry with a soft
outbound refresh (the refresh raced with a withdrawal right after it).

Lines are written the way FRR 8.4 prints its running configuration, so frr-reload.py sees no
difference when nothing changed (e.g. well-known communities by name, `ebgp-multihop 255`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_network

from .model import Announcement, BfdProfile, BgpConfig, IPNetwork, Peer, community_key

HEADER = ("frr defaults traditional", "log stdout informational", "bgp route-map delay-timer 0")
IN_POLICY = "blb-in"            # nodes learn nothing from their peers
_WELL_KNOWN = {0xFFFF0000: "graceful-shutdown", 0xFFFF0001: "accept-own",
               0xFFFF0002: "route-filter-translated-v4", 0xFFFF0003: "route-filter-v4",
               0xFFFF0004: "route-filter-translated-v6", 0xFFFF0005: "route-filter-v6",
               0xFFFF0006: "llgr-stale", 0xFFFF0007: "no-llgr", 0xFFFF0008: "accept-own-nexthop",
               0xFFFF029A: "blackhole", 0xFFFFFF01: "no-export", 0xFFFFFF02: "no-advertise",
               0xFFFFFF03: "local-AS", 0xFFFFFF04: "no-peer"}


@dataclass(frozen=True)
class Attributes:
    communities: tuple[str, ...] = ()   # standard, sorted numerically
    large: tuple[str, ...] = ()         # "G:L1:L2", sorted numerically
    local_pref: int | None = None

    def key(self) -> str:
        return f"{' '.join(self.communities)}|{' '.join(self.large)}|{self.local_pref}"


@dataclass(frozen=True)
class FrrConfig:
    """A rendered configuration: `base` is every line that does not depend on the announced
    prefixes (in file order, with placeholders resolved by `text()`); the rest is the delta
    surface."""
    asn: int | None
    base_top: tuple[str, ...]
    base_bgp: tuple[str, ...]                       # inside `router bgp`, before address families
    af_lines: Mapping[int, tuple[str, ...]]         # family -> neighbor lines of its AF block
    networks: Mapping[int, frozenset[str]] = field(default_factory=dict)   # family -> prefixes
    prefix_lists: frozenset[str] = frozenset()      # complete top-level lines
    route_maps: Mapping[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)
    held: frozenset[str] = frozenset()              # peer addresses sent nothing for now

    def same_base(self, other: FrrConfig) -> bool:
        return (self.asn, self.base_top, self.base_bgp, dict(self.af_lines)) == (
            other.asn, other.base_top, other.base_bgp, dict(other.af_lines))

    def text(self) -> str:
        lines = [*self.base_top]
        if self.asn is not None:
            lines += [f"router bgp {self.asn}", *self.base_bgp]
            for family in sorted(self.af_lines):
                lines += [" !", f" address-family {_af(family)}",
                          *(f"  network {p}" for p in _sorted_prefixes(
                              self.networks.get(family, frozenset()))),
                          *self.af_lines[family], " exit-address-family"]
            lines += ["exit", "!"]
        for version in (4, 6):
            kind = "ip prefix-list " if version == 4 else "ipv6 prefix-list "
            found = sorted((line for line in self.prefix_lists if line.startswith(kind)),
                           key=_prefix_list_order)
            if found:
                lines += [*found, "!"]
        for (name, seq) in sorted(self.route_maps):
            lines += [f"route-map {name} permit {seq}", *self.route_maps[(name, seq)], "exit", "!"]
        lines.append("end")
        return "\n".join(lines) + "\n"


def render(config: BgpConfig, held: Iterable[str] = ()) -> FrrConfig:
    """`held`: addresses of peers to send nothing for now (see the module docstring)."""
    holding = set(held)
    top = [*HEADER, "!"]
    # Always present, even empty: FRR keeps the node once entered, and a `no bfd` from
    # frr-reload.py fails while bgpd still holds BFD sessions it is about to drop.
    top.append("bfd")
    for profile in config.bfd_profiles():
        top += [f" profile {profile.name}", *(f"  {line}" for line in _bfd_lines(profile)),
                " exit", " !"]
    top += ["exit", "!"]
    if not config.peers:
        return FrrConfig(asn=None, base_top=tuple(top), base_bgp=(), af_lines={})
    top += [f"route-map {IN_POLICY} deny 1", "exit", "!"]
    bgp = []
    if config.router_id is not None:
        bgp.append(f" bgp router-id {config.router_id}")
    bgp += [" no bgp ebgp-requires-policy", " no bgp default ipv4-unicast",
            " no bgp network import-check"]
    peers = sorted(config.peers, key=lambda p: (p.address.version, p.address))
    for peer in peers:
        bgp += [f" neighbor {peer.address} {line}" for line in _neighbor_lines(peer, config.asn)]
    af_lines: dict[int, tuple[str, ...]] = {}
    networks: dict[int, frozenset[str]] = {}
    for family in sorted({peer.address.version for peer in peers}):
        af_lines[family] = tuple(
            line for peer in peers if peer.address.version == family
            for line in (f"  neighbor {peer.address} activate",
                         f"  neighbor {peer.address} route-map {IN_POLICY} in",
                         f"  neighbor {peer.address} route-map {out_policy(peer)} out"))
        networks[family] = frozenset(str(a.prefix) for a in config.announcements
                                     if a.prefix.version == family)
    prefix_lists: set[str] = set()
    route_maps: dict[tuple[str, int], tuple[str, ...]] = {}
    for peer in peers:
        reaching = () if str(peer.address) in holding else config.announcements
        _peer_policy(peer, reaching, prefix_lists, route_maps)
    return FrrConfig(asn=config.asn, base_top=tuple(top), base_bgp=tuple(bgp), af_lines=af_lines,
                     networks=networks, prefix_lists=frozenset(prefix_lists),
                     route_maps=route_maps,
                     held=frozenset(str(p.address) for p in peers if str(p.address) in holding))


def out_policy(peer: Peer) -> str:
    return f"blb-out-{peer.name}"




def attributes_by_prefix(peer: Peer, announcements: Iterable[Announcement]
                         ) -> dict[IPNetwork, Attributes]:
    """What `peer` receives: every prefix announced to it, with the union of the communities of
    all announcements of that prefix to it and the highest local preference among them."""
    communities: dict[IPNetwork, set[str]] = {}
    prefs: dict[IPNetwork, int] = {}
    for announcement in announcements:
        if not announcement.reaches(peer):
            continue
        communities.setdefault(announcement.prefix, set()).update(announcement.communities)
        if announcement.local_pref is not None:
            prefs[announcement.prefix] = max(announcement.local_pref,
                                             prefs.get(announcement.prefix, 0))
    result = {}
    for prefix, found in communities.items():
        ordered = sorted(found, key=community_key)
        result[prefix] = Attributes(
            communities=tuple(_standard_text(c) for c in ordered if not c.startswith("large:")),
            large=tuple(c.removeprefix("large:") for c in ordered if c.startswith("large:")),
            local_pref=prefs.get(prefix))
    return result


def _peer_policy(peer: Peer, announcements: Iterable[Announcement], prefix_lists: set[str],
                 route_maps: dict[tuple[str, int], tuple[str, ...]]) -> None:
    groups: dict[Attributes, list[IPNetwork]] = {}
    for prefix, attributes in attributes_by_prefix(peer, announcements).items():
        groups.setdefault(attributes, []).append(prefix)
    family = "v4" if peer.address.version == 4 else "v6"
    used: set[int] = set()
    # Sorted so that a hash collision resolves the same way on every render.
    for attributes in sorted(groups, key=Attributes.key):
        digest = zlib.crc32(attributes.key().encode())
        name = f"blb-{peer.name}-{digest:08x}-{family}"
        seq = _free_slot(digest % 65535 + 1, used, 65535)
        kind = "ip" if family == "v4" else "ipv6"
        body = [f" match {kind} address prefix-list {name}"]
        if attributes.communities:
            body.append(f" set community {' '.join(attributes.communities)} additive")
        if attributes.large:
            body.append(f" set large-community {' '.join(attributes.large)} additive")
        if attributes.local_pref is not None:
            body.append(f" set local-preference {attributes.local_pref}")
        route_maps[(out_policy(peer), seq)] = tuple(body)
        entries: set[int] = set()
        for prefix in sorted(groups[attributes], key=_prefix_sort):
            entry = _free_slot(zlib.crc32(str(prefix).encode()) % 0xFFFFFFFE + 1, entries,
                               0xFFFFFFFF)
            prefix_lists.add(f"{kind} prefix-list {name} seq {entry} permit {prefix}")


def _free_slot(start: int, used: set[int], top: int) -> int:
    slot = start
    while slot in used:
        slot = slot % top + 1
    used.add(slot)
    return slot


def _neighbor_lines(peer: Peer, asn: int) -> list[str]:
    lines = [f"remote-as {peer.peer_asn}"]
    if peer.my_asn != asn:
        # One `router bgp` per node: a peer with another local AS speaks it through local-as.
        lines.append(f"local-as {peer.my_asn} no-prepend replace-as")
    if peer.bfd is not None:
        lines += ["bfd", f"bfd profile {peer.bfd.name}"]
    if peer.password is not None:
        lines.append(f"password {peer.password}")
    if peer.port != 179:
        lines.append(f"port {peer.port}")
    if peer.ebgp_multihop:
        lines.append("ebgp-multihop 255")
    if peer.source_address is not None:
        lines.append(f"update-source {peer.source_address}")
    keepalive = peer.effective_keepalive()
    if peer.hold_time is not None and keepalive is not None:
        lines.append(f"timers {keepalive} {peer.hold_time}")
    if peer.connect_time is not None:
        lines.append(f"timers connect {peer.connect_time}")
    if peer.graceful_restart:
        lines.append("graceful-restart")
    return lines


def _bfd_lines(profile: BfdProfile) -> list[str]:
    """Only values that differ from FRR's defaults: FRR prints no others."""
    lines = []
    for value, default, command in ((profile.detect_multiplier, 3, "detect-multiplier"),
                                    (profile.transmit_interval, 300, "transmit-interval"),
                                    (profile.receive_interval, 300, "receive-interval")):
        if value is not None and value != default:
            lines.append(f"{command} {value}")
    if profile.passive_mode:
        lines.append("passive-mode")
    if profile.echo_mode:
        lines.append("echo-mode")
    if profile.echo_interval is not None and profile.echo_interval != 50:
        lines += [f"echo transmit-interval {profile.echo_interval}",
                  f"echo receive-interval {profile.echo_interval}"]
    if profile.minimum_ttl is not None and profile.minimum_ttl != 254:
        lines.append(f"minimum-ttl {profile.minimum_ttl}")
    return lines


def _standard_text(community: str) -> str:
    (value,) = community_key(community)
    return _WELL_KNOWN.get(value, f"{value >> 16}:{value & 0xFFFF}")


def _af(family: int) -> str:
    return "ipv4 unicast" if family == 4 else "ipv6 unicast"


def _prefix_sort(prefix: IPNetwork) -> tuple[int, int, int]:
    return (prefix.version, int(prefix.network_address), prefix.prefixlen)


def _sorted_prefixes(prefixes: Iterable[str]) -> list[str]:
    return [str(p) for p in sorted((ip_network(text) for text in prefixes), key=_prefix_sort)]


def _prefix_list_order(line: str) -> tuple[str, int]:
    words = line.split()
    return (words[2], int(words[4]))


def delta(old: FrrConfig, new: FrrConfig) -> list[tuple[str, ...]] | None:
    """Command groups (each a top-level command and its block, run from `configure terminal`)
    that turn `old` into `new` when only the announced prefixes or their policies differ; None
    when anything else changed (a full reload then decides). New policy goes in before new
    networks and old networks go out before old policy, so a prefix never leaves with the
    wrong attributes or is briefly denied."""
    if not old.same_base(new) or new.asn is None:
        return None
    groups: list[tuple[str, ...]] = []
    for key in sorted(new.route_maps):
        if old.route_maps.get(key) == new.route_maps[key]:
            continue
        name, seq = key
        if key in old.route_maps:
            groups.append((f"no route-map {name} permit {seq}",))
        groups.append((f"route-map {name} permit {seq}",
                       *(line.strip() for line in new.route_maps[key]), "exit"))
    groups += [(line,) for line in sorted(new.prefix_lists - old.prefix_lists,
                                          key=_prefix_list_order)]
    groups += _network_groups(new, old, new.asn, "")
    groups += _network_groups(old, new, new.asn, "no ")
    groups += [(f"no {line}",) for line in
               sorted(old.prefix_lists - new.prefix_lists, key=_prefix_list_order)]
    groups += [(f"no route-map {name} permit {seq}",) for (name, seq) in
               sorted(set(old.route_maps) - set(new.route_maps))]
    groups += _reoriginate(old, new)
    return groups


def flatten(groups: Iterable[tuple[str, ...]]) -> list[str]:
    return [line for group in groups for line in group]


def _reoriginate(old: FrrConfig, new: FrrConfig) -> list[tuple[str, ...]]:
    """Prefixes originated before and after whose policy lines changed (see the module
    docstring), re-originated so bgpd runs them through the new policy."""
    def policy(config: FrrConfig, prefix: str) -> frozenset[str]:
        return frozenset(line for line in config.prefix_lists if line.endswith(f" {prefix}"))

    groups: list[tuple[str, ...]] = []
    for family in sorted(new.networks):
        kept = new.networks[family] & old.networks.get(family, frozenset())
        changed = _sorted_prefixes(p for p in kept if policy(old, p) != policy(new, p))
        if changed and new.asn is not None:
            groups.append((f"router bgp {new.asn}", f"address-family {_af(family)}",
                           *(f"no network {p}" for p in changed),
                           *(f"network {p}" for p in changed), "exit-address-family", "exit"))
    return groups


def _network_groups(having: FrrConfig, lacking: FrrConfig, asn: int,
                    prefix: str) -> list[tuple[str, ...]]:
    groups: list[tuple[str, ...]] = []
    for family in sorted(having.networks):
        extra = having.networks[family] - lacking.networks.get(family, frozenset())
        if extra:
            groups.append((f"router bgp {asn}", f"address-family {_af(family)}",
                           *(f"{prefix}network {p}" for p in _sorted_prefixes(extra)),
                           "exit-address-family", "exit"))
    return groups
