"""metallb.io objects -> the BgpConfig of one node (MetalLB's BGP semantics).

A BGPPeer applies to the nodes its spec.nodeSelectors select (none: every node). A BGPAdvertisement
applies to an IP when it selects the IP's pool (spec.ipAddressPools by name or
spec.ipAddressPoolSelectors by label; neither: every pool) and this node (spec.nodeSelectors);
it reaches the peers in spec.peers (none: every peer of the node). spec.aggregationLength /
aggregationLengthV6 (default 32 / 128) announce the covering prefix instead of the /32 (/128);
like MetalLB, a length shorter than one of the pool's CIDRs is refused, since it would claim
addresses outside the pool. Communities are AA:NN, large:G:L1:L2, or the name of an entry of a
Community object. A localPref of 0 means none, as in MetalLB. When several advertisements give
one prefix to one peer, communities add up and the highest local preference wins.

Invalid objects are left out and reported in `problems` (the rest still applies), so one broken
BGPPeer cannot withdraw every other announcement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_network
from typing import Any

from . import crd_fields as f
from .model import Announcement, BfdProfile, BgpConfig, IPAddress, Peer, community_key

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


@dataclass(frozen=True)
class ServiceIP:
    address: IPAddress
    pool: str
    eligible: bool = True       # False: externalTrafficPolicy Local, no ready endpoint here


@dataclass(frozen=True)
class NodeBgp:
    config: BgpConfig
    problems: tuple[str, ...] = ()


def bgp_config_for_node(
    node: str,
    node_labels: Mapping[str, str],
    *,
    peers: Iterable[Mapping[str, Any]],
    advertisements: Iterable[Mapping[str, Any]],
    pools: Iterable[Mapping[str, Any]],
    ips: Iterable[ServiceIP],
    bfd_profiles: Iterable[Mapping[str, Any]] = (),
    communities: Iterable[Mapping[str, Any]] = (),
    passwords: Mapping[str, str] | None = None,
    node_address: IPv4Address | None = None,
) -> NodeBgp:
    problems: list[str] = []
    profiles: dict[str, BfdProfile] = {}
    for obj in bfd_profiles:
        try:
            profiles[f.name_of(obj)] = f.bfd_profile(obj)
        except ValueError as exc:
            problems.append(str(exc))
    node_peers = _node_peers(node_labels, peers, passwords or {}, profiles, problems)
    if not node_peers:
        return NodeBgp(BgpConfig(router_id=node_address, asn=0), tuple(problems))
    pools_by_name = {f.name_of(p): p for p in pools}
    announcements: set[Announcement] = set()
    if EXCLUDE_LABEL not in node_labels:
        aliases = f.community_aliases(communities)
        eligible = [ip for ip in ips if ip.eligible and ip.pool in pools_by_name]
        for adv in sorted(advertisements, key=f.name_of):
            try:
                announcements |= _announce(adv, node_labels, node_peers, pools_by_name,
                                           eligible, aliases)
            except ValueError as exc:
                problems.append(str(exc))
    router_id = _router_id(node, node_peers, node_address, problems)
    config = BgpConfig(router_id=router_id, asn=min(p.my_asn for p in node_peers),
                       peers=tuple(node_peers),
                       announcements=tuple(sorted(announcements, key=_announcement_order)))
    return NodeBgp(config, tuple(problems))


def _node_peers(node_labels: Mapping[str, str], objs: Iterable[Mapping[str, Any]],
                passwords: Mapping[str, str], profiles: Mapping[str, BfdProfile],
                problems: list[str]) -> list[Peer]:
    found: list[Peer] = []
    for obj in sorted(objs, key=f.name_of):
        try:
            if not f.selects((obj.get("spec") or {}).get("nodeSelectors"), node_labels,
                             f"{f.where(obj, 'BGPPeer')}: spec.nodeSelectors"):
                continue
            peer = f.peer(obj, passwords, profiles)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        clash = next((p for p in found if p.address == peer.address), None)
        if clash is not None:
            problems.append(f"{f.where(obj, 'BGPPeer')}: spec.peerAddress {peer.address} is "
                            f"already the address of BGPPeer {clash.name} on this node; keep one "
                            "of them")
            continue
        found.append(peer)
    return found


def _announce(adv: Mapping[str, Any], node_labels: Mapping[str, str], peers: list[Peer],
              pools: Mapping[str, Mapping[str, Any]], ips: list[ServiceIP],
              aliases: Mapping[str, str]) -> set[Announcement]:
    spec = adv.get("spec") or {}
    here = f.where(adv, "BGPAdvertisement")
    if spec.get("serviceSelectors"):
        raise ValueError(f"{here}: spec.serviceSelectors is not supported by this speaker; "
                         "split the pool instead")
    if not f.selects(spec.get("nodeSelectors"), node_labels, f"{here}: spec.nodeSelectors"):
        return set()
    wanted = spec.get("peers") or []
    reached = frozenset(p.name for p in peers if p.name in wanted) if wanted else None
    if reached is not None and not reached:
        return set()
    local_pref = int(spec.get("localPref") or 0) or None
    values = tuple(sorted({_community(c, aliases, here) for c in spec.get("communities") or []},
                          key=lambda c: (len(community_key(c)), community_key(c))))
    lengths = {4: int(spec.get("aggregationLength", 32)),
               6: int(spec.get("aggregationLengthV6", 128))}
    for version, top in ((4, 32), (6, 128)):
        if not 0 <= lengths[version] <= top:
            raise ValueError(f"{here}: aggregation length {lengths[version]} for IPv{version} "
                             f"must be 0-{top}")
    names = spec.get("ipAddressPools") or []
    selectors = spec.get("ipAddressPoolSelectors") or []
    chosen = {name for name, pool in pools.items()
              if (not names and not selectors) or name in names
              or (selectors and f.selects(selectors, f.labels_of(pool),
                                          f"{here}: spec.ipAddressPoolSelectors"))}
    checked: set[str] = set()
    result = set()
    for ip in ips:
        if ip.pool not in chosen:
            continue
        if ip.pool not in checked:
            _check_aggregation(here, pools[ip.pool], lengths)
            checked.add(ip.pool)
        prefix = ip_network(f"{ip.address}/{lengths[ip.address.version]}", strict=False)
        result.add(Announcement(prefix=prefix, communities=values, local_pref=local_pref,
                                peers=reached))
    return result


def _check_aggregation(here: str, pool: Mapping[str, Any], lengths: Mapping[int, int]) -> None:
    for network in f.pool_networks(pool):
        if lengths[network.version] < network.prefixlen:
            raise ValueError(
                f"{here}: aggregation length {lengths[network.version]} is shorter than "
                f"{network} in {f.where(pool, 'IPAddressPool')}; it would announce addresses "
                f"outside the pool. Use a length of at least {network.prefixlen}")


def _community(text: Any, aliases: Mapping[str, str], here: str) -> str:
    value = aliases.get(str(text), str(text))
    try:
        community_key(value)
    except ValueError as exc:
        raise ValueError(f"{here}: spec.communities {text!r}: {exc}, nor the name of an entry "
                         "of a Community object") from None
    return value


def _router_id(node: str, peers: list[Peer], fallback: IPv4Address | None,
               problems: list[str]) -> IPv4Address | None:
    ids = sorted({p.router_id for p in peers if p.router_id is not None})
    if len(ids) > 1:
        problems.append(f"BGPPeers of node {node} ask for different router IDs "
                        f"({', '.join(map(str, ids))}); using {ids[0]}")
    return ids[0] if ids else fallback


def _announcement_order(a: Announcement) -> tuple[int, int, int, tuple[str, ...], str]:
    return (a.prefix.version, int(a.prefix.network_address), a.prefix.prefixlen, a.communities,
            repr(sorted(a.peers)) if a.peers is not None else "")
