"""When two Services may use the same IP (MetalLB's `metallb.io/allow-shared-ip`).

MetalLB facts (internal/allocator/allocator.go `sharingOK`/`checkSharing`,
internal/allocator/k8salloc `BackendKey`):
- both Services carry a non-empty sharing key, and the keys are equal;
- their "backend keys" are equal: "" for externalTrafficPolicy Cluster, and the pod selector
  rendered as sorted "k=v,k2=v2" for Local (a Local Service must go to the same pods, since
  only nodes with those pods may attract the traffic). So Cluster and Local never share,
  except a Local Service with an empty selector, whose key is "" too (kept as MetalLB);
- no (port, protocol) pair is used by both (TCP/53 and UDP/53 do not collide);
- a Service alone on an IP may change its key or ports freely.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from baremetal_lb.allocator.model import Port, ServiceRequest


def backend_key(local_traffic: bool, selector: Mapping[str, str]) -> str:
    if not local_traffic:
        return ""
    return ",".join(f"{k}={selector[k]}" for k in sorted(selector))


@dataclass(frozen=True)
class Usage:
    """How one Service uses its IPs: what sharing needs to know about it."""

    key: str
    sharing_key: str
    backend: str
    ports: frozenset[Port]

    @classmethod
    def of(cls, svc: ServiceRequest) -> "Usage":
        return cls(svc.key, svc.sharing_key or "", backend_key(svc.local_traffic, svc.selector), svc.ports)


def conflict(new: Usage, existing: Usage) -> str | None:
    """Why `new` cannot join `existing` on one IP, or None when it can."""
    if not existing.sharing_key:
        return f"{existing.key} does not allow sharing (no metallb.io/allow-shared-ip)"
    if not new.sharing_key:
        return f"it is used by {existing.key} and this Service has no metallb.io/allow-shared-ip"
    if new.sharing_key != existing.sharing_key:
        return f"{existing.key} shares it under key {existing.sharing_key!r}, not {new.sharing_key!r}"
    if new.backend != existing.backend:
        return (
            f"{existing.key} shares it with externalTrafficPolicy/selector {existing.backend or 'Cluster'!r}, "
            f"this Service has {new.backend or 'Cluster'!r} (Local Services must select the same pods)"
        )
    clash = new.ports & existing.ports
    if clash:
        first = min(clash, key=lambda p: (p.protocol, p.port))
        return f"{existing.key} already uses port {first.protocol}/{first.port} on it"
    return None
