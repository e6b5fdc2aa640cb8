"""What this node announces by BGP: the speaker's inputs turned into a `BgpConfig`. Pure.

Every eligible node announces (ECMP at the router), unlike layer 2's single owner. A node is
eligible for an IP when it is Ready and the Service has a ready endpoint: on this node for
externalTrafficPolicy Local, anywhere for Cluster. Advertisement/peer selection, exclusion
labels, communities and local preference are `baremetal_lb.bgp.from_crds`'s job.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from baremetal_lb.bgp.from_crds import ServiceIP, bgp_config_for_node
from baremetal_lb.bgp.model import BgpConfig
from baremetal_lb.config import is_ours, parse_pools

from .plan import Inputs, _ingress, _pool_of


@dataclass
class BgpInputs:
    layer2: Inputs
    node_labels: Mapping[str, str]
    node_ready: bool
    peers: Iterable[Mapping[str, Any]]
    advertisements: Iterable[Mapping[str, Any]]
    bfd_profiles: Iterable[Mapping[str, Any]] = ()
    communities: Iterable[Mapping[str, Any]] = ()
    passwords: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BgpResult:
    config: BgpConfig
    problems: tuple[str, ...]
    services: Mapping[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple[str, ...]]


def bgp_config(inputs: BgpInputs) -> BgpResult:
    base = inputs.layer2
    pool_objects = list(base.pools)
    pools, _ = parse_pools(pool_objects)
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
        for ip in _ingress(svc):
            pool = _pool_of(pools, ip)
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
    result = bgp_config_for_node(
        base.node, inputs.node_labels, peers=inputs.peers,
        advertisements=inputs.advertisements, pools=pool_objects, ips=ips.values(),
        bfd_profiles=inputs.bfd_profiles, communities=inputs.communities,
        passwords=inputs.passwords, node_address=address)
    return BgpResult(result.config, result.problems,
                     {k: tuple(sorted(v)) for k, v in services.items()})
