"""What this node announces by BGP: the Config and the Service IPs turned into a `BgpConfig`.
Pure.

Every eligible node announces (ECMP at the router), unlike layer 2's single owner. A node is
eligible for an IP when it is Ready and the Service has a ready endpoint: on this node for
externalTrafficPolicy Local, anywhere for Cluster.

MetalLB's BGP semantics: a BGPPeer applies to the nodes its spec.nodeSelectors select (none:
every node). A BGPAdvertisement of the IP's pool applies when it selects this node; it reaches
the peers in spec.peers (none: every peer of the node) and announces the /32 (/128), or the
covering prefix of its aggregation length. When several advertisements give one prefix to one
peer, communities add up and the highest local preference wins (bgp.render). Problems of this
node alone (two selected peers with one address, different router IDs) are returned with the
Config's own problems.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, ip_network
from typing import Any

from baremetal_lb.bgp.model import Announcement, BgpConfig, IPAddress, Peer
from baremetal_lb.config import (Config, ObjectRef, Problem, config_for, ingress_ips, is_ours,
                                 sort_problems)

from .plan import EXCLUDE_LABEL, Inputs


@dataclass(frozen=True)
class ServiceIP:
    address: IPAddress
    pool: str
    eligible: bool = True       # False: externalTrafficPolicy Local, no ready endpoint here


@dataclass(frozen=True)
class NodeBgp:
    config: BgpConfig
    problems: tuple[str, ...] = ()


def node_bgp(config: Config, node: str, node_labels: Mapping[str, str], ips: Iterable[ServiceIP],
             node_address: IPv4Address | None = None) -> tuple[BgpConfig, list[Problem]]:
    """This node's BgpConfig and the problems of this node alone (see the module docstring)."""
    problems: list[Problem] = []
    peers = _node_peers(config, node_labels, problems)
    if not peers:
        return BgpConfig(router_id=node_address, asn=0), problems
    announcements: set[Announcement] = set()
    if EXCLUDE_LABEL not in node_labels:
        for ip in ips:
            pool = config.pools.get(ip.pool)
            if not ip.eligible or pool is None:
                continue
            for advertisement in pool.bgp:
                if not advertisement.selects_node(node_labels):
                    continue
                wanted = advertisement.peers
                reached = frozenset(p.name for p in peers if p.name in wanted) if wanted else None
                if reached is not None and not reached:
                    continue
                prefix = ip_network(f"{ip.address}/{advertisement.length(ip.address.version)}",
                                    strict=False)
                announcements.add(Announcement(prefix=prefix,
                                               communities=advertisement.communities,
                                               local_pref=advertisement.local_pref,
                                               peers=reached))
    router_id = _router_id(node, peers, node_address, problems)
    bgp = BgpConfig(router_id=router_id, asn=min(p.my_asn for p in peers), peers=tuple(peers),
                    announcements=tuple(sorted(announcements, key=_announcement_order)))
    return bgp, problems


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
    """metallb.io objects -> one node's BgpConfig, with the messages of every problem (the
    Config's and the node's). For callers that hold objects rather than a Config (the lab)."""
    config = config_for(pools=pools, bgp_advertisements=advertisements, peers=peers,
                        bfd_profiles=bfd_profiles, communities=communities, passwords=passwords)
    bgp, problems = node_bgp(config, node, node_labels, ips, node_address)
    return NodeBgp(bgp, tuple(p.message for p in sort_problems([*config.problems, *problems])))


@dataclass
class BgpInputs:
    layer2: Inputs
    node_labels: Mapping[str, str]
    node_ready: bool


@dataclass(frozen=True)
class BgpResult:
    config: BgpConfig
    problems: tuple[Problem, ...]
    services: Mapping[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple[str, ...]]


def bgp_config(inputs: BgpInputs) -> BgpResult:
    base = inputs.layer2
    ips: dict[tuple[str, str], ServiceIP] = {}
    services: dict[Any, list[str]] = {}
    for svc in base.services:
        if not is_ours(svc, base.lb_class, base.claim_unclassed):
            continue
        key = f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
        endpoints = base.endpoints.get(key, frozenset())
        local = (svc.get("spec") or {}).get("externalTrafficPolicy") == "Local"
        eligible = inputs.node_ready and bool(endpoints) and (
            not local or base.node in endpoints)
        for ip in ingress_ips(svc):
            pool = base.config.pool_of(ip)
            if pool is None:
                continue
            entry = ips.get((str(ip), pool.name))
            # Services sharing an IP add up: one eligible Service is enough to announce it.
            if entry is None or (eligible and not entry.eligible):
                ips[(str(ip), pool.name)] = ServiceIP(ip, pool.name, eligible)
            if eligible:
                services.setdefault(ipaddress.ip_network(ip), []).append(key)
    address = next((a.ip for link in base.links.values() if not link.loopback
                    for a in link.ipv4), None)
    bgp, problems = node_bgp(base.config, base.node, inputs.node_labels, ips.values(), address)
    return BgpResult(bgp, tuple(problems),
                     {k: tuple(sorted(v)) for k, v in services.items()})


def _node_peers(config: Config, node_labels: Mapping[str, str],
                problems: list[Problem]) -> list[Peer]:
    found: list[Peer] = []
    for entry in config.peers:
        if not entry.selects_node(node_labels):
            continue
        peer = entry.peer
        clash = next((p for p in found if p.address == peer.address), None)
        if clash is not None:
            problems.append(entry.ref.problem(
                f"{entry.ref}: spec.peerAddress {peer.address} is already the address of "
                f"BGPPeer {clash.name} on this node; keep one of them"))
            continue
        found.append(peer)
    return found


def _router_id(node: str, peers: list[Peer], fallback: IPv4Address | None,
               problems: list[Problem]) -> IPv4Address | None:
    ids = sorted({p.router_id for p in peers if p.router_id is not None})
    if len(ids) > 1:
        problems.append(ObjectRef("Node", node, api_version="v1").problem(
            f"BGPPeers of node {node} ask for different router IDs "
            f"({', '.join(map(str, ids))}); using {ids[0]}"))
    return ids[0] if ids else fallback


def _announcement_order(a: Announcement) -> tuple[int, int, int, tuple[str, ...], str]:
    return (a.prefix.version, int(a.prefix.network_address), a.prefix.prefixlen, a.communities,
            repr(sorted(a.peers)) if a.peers is not None else "")
