"""What the speaker is asked to announce, whatever the protocol: one `Balancer` per Service IP
(MetalLB's word), with its pool and who may serve it. Pure; shared by both protocols.

A Service IP is one of status.loadBalancer.ingress of a Service we serve (`ingress_ips`) that
lies in a valid pool (`Config.pool_of`, an indexed lookup); an IP outside every pool is not
announced. Eligibility (`Balancer.serving`): a node may serve the IP when a Service behind it
has a ready endpoint, on that node for externalTrafficPolicy Local, anywhere for Cluster (as
MetalLB: an IP with nothing behind it is not announced); Services sharing an IP add up. A node
may announce at all when it is Ready and not labelled `EXCLUDE_LABEL` (`NodeInfo`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from baremetal_lb.allocator import IPAddress
from baremetal_lb.config import Config, PoolConfig, ingress_ips, is_ours
from baremetal_lb.net.links import Link

from .ownership import eligible_nodes

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
class Backend:
    """One Service behind an IP: whether it keeps traffic local, and its nodes with a ready
    endpoint."""
    service: str                     # "namespace/name"
    local: bool
    endpoint_nodes: frozenset[str]

    def serves(self, nodes: Iterable[str]) -> frozenset[str]:
        return eligible_nodes(nodes, endpoint_nodes=self.endpoint_nodes, local_traffic=self.local)


@dataclass(frozen=True)
class Balancer:
    ip: IPAddress
    pool: PoolConfig
    backends: tuple[Backend, ...]    # by Service key

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(b.service for b in self.backends)

    def serving(self, nodes: Iterable[str]) -> frozenset[str]:
        """The nodes among `nodes` that may serve this IP."""
        candidates = frozenset(nodes)
        return frozenset().union(*(b.serves(candidates) for b in self.backends))

    def services_on(self, node: str) -> tuple[str, ...]:
        """The Services of this IP that `node` may serve."""
        return tuple(b.service for b in self.backends if b.serves((node,)))


@dataclass(frozen=True)
class Inputs:
    """What the speaker sees at one reconcile, handed to every protocol."""
    node: str
    config: Config
    balancers: Mapping[IPAddress, Balancer]
    nodes: Sequence[NodeInfo]
    links: Mapping[str, Link] = field(default_factory=lambda: MappingProxyType({}))

    def me(self) -> NodeInfo:
        """This node (not Ready, without labels, while the Node object is not seen yet)."""
        return next((n for n in self.nodes if n.name == self.node), NodeInfo(self.node, {}, False))


def balancers(config: Config, services: Iterable[Mapping[str, object]],
              endpoints: Mapping[str, frozenset[str]], lb_class: str | None,
              claim_unclassed: bool) -> dict[IPAddress, Balancer]:
    """Every Service IP to announce. `endpoints`: "ns/name" -> nodes with a ready endpoint."""
    found: dict[IPAddress, tuple[PoolConfig, list[Backend]]] = {}
    for svc in services:
        if not is_ours(svc, lb_class, claim_unclassed):
            continue
        meta = svc["metadata"]
        assert isinstance(meta, Mapping)
        key = f"{meta['namespace']}/{meta['name']}"
        spec = svc.get("spec") or {}
        assert isinstance(spec, Mapping)
        backend = Backend(key, spec.get("externalTrafficPolicy") == "Local",
                          endpoints.get(key, frozenset()))
        for ip in ingress_ips(svc):
            pool = config.pool_of(ip)
            if pool is not None:
                found.setdefault(ip, (pool, []))[1].append(backend)
    return {ip: Balancer(ip, pool, tuple(sorted(backends, key=lambda b: b.service)))
            for ip, (pool, backends) in found.items()}
