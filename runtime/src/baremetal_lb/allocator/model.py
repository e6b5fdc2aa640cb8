"""Plain data exchanged with the allocator: pools, what a Service asks for, what it got."""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from baremetal_lb.allocator.selectors import LabelSelector

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Pool:
    """One IPAddressPool.

    A pool "has a service allocation" (MetalLB: spec.serviceAllocation is set) when it has a
    priority or any namespace/service restriction; such pools are tried before the others
    and only for Services they match. `serviceAllocation: {}` is therefore the same as no
    serviceAllocation here (MetalLB tries it among the pinned pools; the difference is only
    the order in which equally unprioritised pools are tried).
    """

    name: str
    ranges: tuple[tuple[IPAddress, IPAddress], ...]  # inclusive (first, last), each one family
    auto_assign: bool = True
    avoid_buggy_ips: bool = False  # skip IPv4 x.x.x.0 and x.x.x.255
    priority: int | None = None  # serviceAllocation.priority, lower wins, None last
    namespaces: frozenset[str] = frozenset()
    namespace_selectors: tuple[LabelSelector, ...] = ()
    service_selectors: tuple[LabelSelector, ...] = ()

    @property
    def has_service_allocation(self) -> bool:
        return (
            self.priority is not None
            or bool(self.namespaces)
            or bool(self.namespace_selectors)
            or bool(self.service_selectors)
        )


@dataclass(frozen=True)
class Port:
    port: int
    protocol: str


@dataclass(frozen=True)
class ServiceRequest:
    key: str  # "namespace/name"
    namespace: str
    labels: Mapping[str, str]
    namespace_labels: Mapping[str, str]
    pool: str | None  # metallb.io/address-pool
    requested_ips: tuple[IPAddress, ...]  # metallb.io/loadBalancerIPs or spec.loadBalancerIP
    families: tuple[int, ...]  # from spec.ipFamilies, e.g. (4,), (6,), (4, 6)
    family_policy: str  # "SingleStack" | "PreferDualStack" | "RequireDualStack"
    sharing_key: str | None  # metallb.io/allow-shared-ip
    ports: frozenset[Port]
    local_traffic: bool  # externalTrafficPolicy == Local
    selector: Mapping[str, str]  # spec.selector
    current_ips: tuple[IPAddress, ...] = field(default=())  # status.loadBalancer.ingress[].ip


@dataclass(frozen=True)
class Assignment:
    pool: str
    ips: tuple[IPAddress, ...]


@dataclass(frozen=True)
class PoolUsage:
    assigned_v4: int
    available_v4: int
    assigned_v6: int
    available_v6: int
