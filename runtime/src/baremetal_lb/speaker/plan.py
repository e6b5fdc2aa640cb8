"""Which IPs this node announces, from what the speaker sees. Pure: no I/O, no threads.

For each Service IP (status.loadBalancer.ingress of a Service we serve) in layer-2 mode:
1. its pool: the IPAddressPool whose ranges hold it; no pool, no announcement;
2. the L2Advertisements that select the pool (ipAddressPools by name, ipAddressPoolSelectors
   by label; neither: every pool) and, through nodeSelectors, the nodes;
3. nodes that may announce: selected by such an advertisement, Ready, without the
   `node.kubernetes.io/exclude-from-external-load-balancers` label, and with a ready endpoint:
   with externalTrafficPolicy Local one on the node itself; with Cluster one anywhere (as
   MetalLB: an IP with nothing behind it is not announced). Services sharing an IP add up;
4. the LAN: the local interface whose subnet holds the IP (and that the advertisement's
   `interfaces` allow). The other speakers on that LAN are the live heartbeat members there,
   so a node that is not on the IP's VLAN never becomes a candidate;
5. the owner: the HRW winner among (3) and (4); every speaker computes the same owner.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from baremetal_lb.allocator import IPAddress, LabelSelector, Pool
from baremetal_lb.allocator.ownership import owner as hrw_owner
from baremetal_lb.config import ConfigError, is_ours, parse_pools, parse_selector
from baremetal_lb.net.links import Link

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


@dataclass(frozen=True)
class Advertisement:
    name: str
    pool_names: frozenset[str]
    pool_selectors: tuple[LabelSelector, ...]
    node_selectors: tuple[LabelSelector, ...]
    interfaces: tuple[str, ...]

    def selects_pool(self, name: str, labels: Mapping[str, str]) -> bool:
        if not self.pool_names and not self.pool_selectors:
            return True
        return name in self.pool_names or any(s.matches(labels) for s in self.pool_selectors)

    def selects_node(self, labels: Mapping[str, str]) -> bool:
        return not self.node_selectors or any(s.matches(labels) for s in self.node_selectors)


@dataclass(frozen=True)
class NodeInfo:
    name: str
    labels: Mapping[str, str]
    ready: bool

    @property
    def may_announce(self) -> bool:
        return self.ready and EXCLUDE_LABEL not in self.labels


@dataclass(frozen=True)
class Target:
    """One IP to announce in layer 2 and who may do it."""
    ip: IPAddress
    services: tuple[str, ...]
    pool: str
    eligible: frozenset[str]           # nodes Kubernetes allows (steps 2-3)
    interface: str | None               # our interface for it (step 4); None: not on its LAN


@dataclass
class Inputs:
    node: str
    services: Iterable[Mapping[str, Any]]
    pools: Iterable[Mapping[str, Any]]
    advertisements: Iterable[Mapping[str, Any]]
    nodes: Iterable[NodeInfo]
    endpoints: Mapping[str, frozenset[str]]   # "ns/name" -> nodes with a ready endpoint
    links: Mapping[str, Link]
    lb_class: str | None = None
    claim_unclassed: bool = True
    problems: list[str] = field(default_factory=list)


def parse_advertisement(obj: Mapping[str, Any]) -> Advertisement:
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    where = f"L2Advertisement {meta.get('namespace')}/{meta.get('name')}"
    return Advertisement(
        name=str(meta.get("name")),
        pool_names=frozenset(spec.get("ipAddressPools") or ()),
        pool_selectors=tuple(parse_selector(s, f"{where}: spec.ipAddressPoolSelectors[{i}]")
                             for i, s in enumerate(spec.get("ipAddressPoolSelectors") or ())),
        node_selectors=tuple(parse_selector(s, f"{where}: spec.nodeSelectors[{i}]")
                             for i, s in enumerate(spec.get("nodeSelectors") or ())),
        interfaces=tuple(spec.get("interfaces") or ()),
    )


def layer2_targets(inputs: Inputs) -> dict[IPAddress, Target]:
    pools, pool_problems = parse_pools(inputs.pools)
    inputs.problems.extend(f"IPAddressPool {p.name}: {p.message}" for p in pool_problems)
    pool_labels = {str((o.get("metadata") or {}).get("name")):
                   (o.get("metadata") or {}).get("labels") or {} for o in inputs.pools}
    adverts = []
    for obj in inputs.advertisements:
        try:
            adverts.append(parse_advertisement(obj))
        except ConfigError as exc:
            inputs.problems.append(str(exc))
    announcers = [n for n in inputs.nodes if n.may_announce]

    by_ip: dict[IPAddress, tuple[list[str], set[str], Pool]] = {}
    for svc in inputs.services:
        if not is_ours(svc, inputs.lb_class, inputs.claim_unclassed):
            continue
        key = f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
        local = (svc.get("spec") or {}).get("externalTrafficPolicy") == "Local"
        with_endpoints = inputs.endpoints.get(key, frozenset())
        for ip in _ingress(svc):
            pool = _pool_of(pools, ip)
            if pool is None:
                continue
            selecting = [a for a in adverts
                         if a.selects_pool(pool.name, pool_labels.get(pool.name, {}))]
            nodes = {n.name for n in announcers
                     if any(a.selects_node(n.labels) for a in selecting)}
            if not with_endpoints:
                nodes = set()
            elif local:
                nodes &= with_endpoints
            services, eligible, _ = by_ip.setdefault(ip, ([], set(), pool))
            services.append(key)
            eligible |= nodes
    targets = {}
    for ip, (services, eligible, pool) in by_ip.items():
        allowed = {i for a in adverts if a.selects_pool(pool.name, pool_labels.get(pool.name, {}))
                   for i in a.interfaces}
        targets[ip] = Target(ip, tuple(sorted(services)), pool.name, frozenset(eligible),
                             _interface_for(ip, inputs.links, allowed))
    return targets


def owners(targets: Mapping[IPAddress, Target],
           alive_on: Mapping[str, frozenset[str]]) -> dict[IPAddress, str | None]:
    """The announcing node of every target as this speaker sees it. `alive_on[interface]` are
    the speakers live on that LAN (ourselves included while we are ready)."""
    result: dict[IPAddress, str | None] = {}
    for ip, target in targets.items():
        if target.interface is None:
            result[ip] = None
            continue
        candidates = target.eligible & alive_on.get(target.interface, frozenset())
        result[ip] = hrw_owner(ip, candidates)
    return result


def owned(targets: Mapping[IPAddress, Target], me: str,
          owner_of: Mapping[IPAddress, str | None],
          interfaces: Iterable[str]) -> dict[str, frozenset[IPAddress]]:
    """Interface -> IPs this node announces there (every interface listed, maybe empty)."""
    result: dict[str, set[IPAddress]] = {name: set() for name in interfaces}
    for ip, node in owner_of.items():
        interface = targets[ip].interface
        if node == me and interface is not None:
            result.setdefault(interface, set()).add(ip)
    return {name: frozenset(ips) for name, ips in result.items()}


def _ingress(svc: Mapping[str, Any]) -> list[IPAddress]:
    ips = []
    for entry in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ():
        try:
            ips.append(ipaddress.ip_address(entry.get("ip", "")))
        except ValueError:
            continue
    return ips


def _pool_of(pools: Iterable[Pool], ip: IPAddress) -> Pool | None:
    for pool in pools:
        for first, last in pool.ranges:
            if first.version == ip.version and first <= ip <= last:  # type: ignore[operator]
                return pool
    return None


def _interface_for(ip: IPAddress, links: Mapping[str, Link], allowed: set[str]) -> str | None:
    for name in sorted(links):
        link = links[name]
        if link.loopback or (allowed and name not in allowed):
            continue
        networks = link.ipv4 if ip.version == 4 else link.ipv6
        if any(ip in iface.network and not iface.ip.is_link_local for iface in networks):
            return name
    return None
