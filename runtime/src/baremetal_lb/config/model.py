"""One immutable configuration from every metallb.io object, built in one place.

Like MetalLB's internal/config (`config.For`), `config_for` parses every kind once, resolves the
references between them and returns a `Config`: the valid pools, each carrying the L2 and BGP
advertisements that select it, the BGP peers and BFD profiles, and the problems of everything
that was left out. Invalid objects are left out one by one (the rest still applies), so one
broken BGPPeer cannot withdraw every other announcement. Components rebuild the Config when one
of its inputs changes, not on every reconcile.

Order of resolution: BFD profiles and Community aliases first (peers and advertisements refer
to them), then pools, then advertisements against the pools they select (an aggregation length
shorter than one of a selected pool's CIDRs would claim addresses outside the pool, so such an
advertisement is refused, as in MetalLB), then peers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from baremetal_lb.allocator import IPAddress, Pool
from baremetal_lb.allocator.addresses import Span, SpanIndex
from baremetal_lb.bgp.model import BfdProfile
from baremetal_lb.config.advertisements import (
    BGPAdvertisement,
    L2Advertisement,
    parse_bgp_advertisement,
    parse_l2_advertisement,
)
from baremetal_lb.config.errors import ConfigError, Problem, describe, labels_of, name_of
from baremetal_lb.config.peers import PeerConfig, community_aliases, parse_bfd_profile, parse_peer
from baremetal_lb.config.pools import accept_pools, networks

# The order problems are listed in: what others refer to first.
KIND_ORDER = ("BFDProfile", "Community", "IPAddressPool", "L2Advertisement", "BGPAdvertisement",
              "BGPPeer", "Node")


@dataclass(frozen=True)
class PoolConfig:
    """A valid IPAddressPool with the advertisements that select it (by name order)."""
    pool: Pool
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    l2: tuple[L2Advertisement, ...] = ()
    bgp: tuple[BGPAdvertisement, ...] = ()

    @property
    def name(self) -> str:
        return self.pool.name


@dataclass(frozen=True, eq=False)
class Config:
    pools: Mapping[str, PoolConfig]                  # by name
    peers: tuple[PeerConfig, ...] = ()               # by name
    bfd_profiles: Mapping[str, BfdProfile] = field(default_factory=lambda: MappingProxyType({}))
    problems: tuple[Problem, ...] = ()               # in KIND_ORDER, then input order
    _index: SpanIndex = field(default_factory=lambda: SpanIndex(()), repr=False)

    def pool_of(self, ip: IPAddress) -> PoolConfig | None:
        """The pool whose ranges hold `ip` (avoidBuggyIPs not applied): an indexed lookup."""
        span = self._index.find(ip.version, int(ip))
        return None if span is None else self.pools[span.owner]

    def allocator_pools(self) -> list[Pool]:
        return [self.pools[name].pool for name in sorted(self.pools)]


def config_for(*, pools: Iterable[Mapping[str, Any]] = (),
               l2_advertisements: Iterable[Mapping[str, Any]] = (),
               bgp_advertisements: Iterable[Mapping[str, Any]] = (),
               peers: Iterable[Mapping[str, Any]] = (),
               bfd_profiles: Iterable[Mapping[str, Any]] = (),
               communities: Iterable[Mapping[str, Any]] = (),
               passwords: Mapping[str, str] | None = None) -> Config:
    """The Config of these objects (as read from the apiserver, or slim projections of them).
    `passwords`: the password of each basic-auth Secret by name."""
    problems: list[Problem] = []
    profiles: dict[str, BfdProfile] = {}
    for obj in bfd_profiles:
        try:
            profiles[name_of(obj)] = parse_bfd_profile(obj)
        except ConfigError as exc:
            problems.append(Problem.about(obj, "BFDProfile", str(exc)))
    aliases = community_aliases(communities)

    accepted, pool_problems = accept_pools(pools)
    problems += pool_problems
    l2 = _parse_all(l2_advertisements, "L2Advertisement", parse_l2_advertisement, problems)
    bgp = []
    for obj in sorted(bgp_advertisements, key=name_of):
        try:
            advertisement = parse_bgp_advertisement(obj, aliases)
            for pool_obj, pool in accepted:
                if advertisement.selects_pool(pool.name, labels_of(pool_obj)):
                    _check_aggregation(obj, advertisement, pool)
            bgp.append(advertisement)
        except ConfigError as exc:
            problems.append(Problem.about(obj, "BGPAdvertisement", str(exc)))

    resolved = {}
    for obj, pool in accepted:
        labels = labels_of(obj)
        resolved[pool.name] = PoolConfig(
            pool, MappingProxyType(labels),
            l2=tuple(a for a in l2 if a.selects_pool(pool.name, labels)),
            bgp=tuple(a for a in bgp if a.selects_pool(pool.name, labels)))

    peer_configs = []
    for obj in sorted(peers, key=name_of):
        try:
            peer_configs.append(parse_peer(obj, passwords or {}, profiles))
        except ConfigError as exc:
            problems.append(Problem.about(obj, "BGPPeer", str(exc)))

    spans = (Span(first.version, int(first), int(last), pool.name)
             for _, pool in accepted for first, last in pool.ranges)
    return Config(pools=MappingProxyType(resolved), peers=tuple(peer_configs),
                  bfd_profiles=MappingProxyType(profiles),
                  problems=tuple(sort_problems(problems)), _index=SpanIndex(spans))


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """In KIND_ORDER, each kind by name (stable: one object's problems keep their order)."""
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(problems, key=lambda p: (rank.get(p.kind, len(rank)), p.name))


def _parse_all(objs: Iterable[Mapping[str, Any]], kind: str, parse: Any,
               problems: list[Problem]) -> list[Any]:
    found = []
    for obj in sorted(objs, key=name_of):
        try:
            found.append(parse(obj))
        except ConfigError as exc:
            problems.append(Problem.about(obj, kind, str(exc)))
    return found


def _check_aggregation(obj: Mapping[str, Any], advertisement: BGPAdvertisement,
                       pool: Pool) -> None:
    for network in networks(pool):
        length = advertisement.length(network.version)
        if length < network.prefixlen:
            raise ConfigError(
                f"{describe(obj, 'BGPAdvertisement')}: aggregation length {length} is shorter "
                f"than {network} in IPAddressPool {pool.name}; it would announce addresses "
                f"outside the pool. Use a length of at least {network.prefixlen}")
