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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from baremetal_lb.allocator import IPAddress
from baremetal_lb.allocator.ownership import owner as hrw_owner
from baremetal_lb.config import Config, PoolConfig, ingress_ips, is_ours
from baremetal_lb.net.links import Link

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


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
    config: Config
    nodes: Iterable[NodeInfo]
    endpoints: Mapping[str, frozenset[str]]   # "ns/name" -> nodes with a ready endpoint
    links: Mapping[str, Link]
    lb_class: str | None = None
    claim_unclassed: bool = True


def layer2_targets(inputs: Inputs) -> dict[IPAddress, Target]:
    announcers = [n for n in inputs.nodes if n.may_announce]

    by_ip: dict[IPAddress, tuple[list[str], set[str], PoolConfig]] = {}
    for svc in inputs.services:
        if not is_ours(svc, inputs.lb_class, inputs.claim_unclassed):
            continue
        key = f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
        local = (svc.get("spec") or {}).get("externalTrafficPolicy") == "Local"
        with_endpoints = inputs.endpoints.get(key, frozenset())
        for ip in ingress_ips(svc):
            pool = inputs.config.pool_of(ip)
            if pool is None:
                continue
            nodes = {n.name for n in announcers
                     if any(a.selects_node(n.labels) for a in pool.l2)}
            if not with_endpoints:
                nodes = set()
            elif local:
                nodes &= with_endpoints
            services, eligible, _ = by_ip.setdefault(ip, ([], set(), pool))
            services.append(key)
            eligible |= nodes
    targets = {}
    for ip, (services, eligible, pool) in by_ip.items():
        allowed = {i for a in pool.l2 for i in a.interfaces}
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


def _interface_for(ip: IPAddress, links: Mapping[str, Link], allowed: set[str]) -> str | None:
    for name in sorted(links):
        link = links[name]
        if link.loopback or (allowed and name not in allowed):
            continue
        networks = link.ipv4 if ip.version == 4 else link.ipv6
        if any(ip in iface.network and not iface.ip.is_link_local for iface in networks):
            return name
    return None
