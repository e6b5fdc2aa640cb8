"""Which pools a Service may use, in which order, and whether its request makes sense.

MetalLB facts (internal/allocator/allocator.go `Allocate`, `pinnedPoolsForService`,
`isPoolCompatibleWithService`, `sortPools`; internal/config/config.go):
- a pool with a serviceAllocation is "pinned": it is tried first, and only for Services it
  allows; pinned pools are sorted by priority, lower first, no priority (0) last;
- only when no pinned pool can serve the Service are the pools *without* serviceAllocation
  tried; `autoAssign: false` removes a pool from both groups (it stays usable through the
  address-pool annotation or a requested IP);
- a pool allows a Service when its namespace is listed or matched by one of the namespace
  selectors (if any namespace restriction is given) AND its labels match one of the service
  selectors (if any are given). A serviceAllocation with only a priority allows every
  Service (MetalLB PR #2714, v0.15);
- the same "allows" check applies to requested IPs and to the annotation pool ("pool not
  compatible" in MetalLB): a Service cannot take an address from a pool reserved for others.

Deliberate differences:
- equal priorities are ordered by pool name (MetalLB: random), the unpinned group too
  (MetalLB: Go map order);
- namespaceSelectors are evaluated against the Service's namespace labels directly. MetalLB
  resolves them to names when the config loads, and a pool whose namespaceSelectors match
  no namespace then allows everyone to request it (a bug we do not copy).
"""

from collections.abc import Iterable

from baremetal_lb.allocator.errors import AllocationError
from baremetal_lb.allocator.model import Pool, ServiceRequest
from baremetal_lb.allocator.selectors import any_matches

POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")


def allows(pool: Pool, svc: ServiceRequest) -> bool:
    if pool.namespaces or pool.namespace_selectors:
        if svc.namespace not in pool.namespaces and not any_matches(pool.namespace_selectors, svc.namespace_labels):
            return False
    if pool.service_selectors and not any_matches(pool.service_selectors, svc.labels):
        return False
    return True


def auto_groups(pools: Iterable[Pool], svc: ServiceRequest) -> list[list[Pool]]:
    """Pools to try for automatic assignment: [pinned by priority, unpinned], each by name."""
    candidates = [p for p in pools if p.auto_assign and allows(p, svc)]
    pinned = sorted(
        (p for p in candidates if p.has_service_allocation),
        key=lambda p: (p.priority is None, p.priority or 0, p.name),
    )
    unpinned = sorted((p for p in candidates if not p.has_service_allocation), key=lambda p: p.name)
    return [group for group in (pinned, unpinned) if group]


def wants_dual(svc: ServiceRequest) -> bool:
    return len(svc.families) == 2


def validate(svc: ServiceRequest) -> None:
    """Reject requests no pool could ever satisfy (InvalidRequest)."""

    def invalid(why: str) -> AllocationError:
        return AllocationError("InvalidRequest", f"Service {svc.key}: {why}")

    if not svc.families or len(svc.families) > 2 or len(set(svc.families)) != len(svc.families):
        raise invalid(f"spec.ipFamilies {list(svc.families)} must be one family or one IPv4 and one IPv6")
    if not set(svc.families) <= {4, 6}:
        raise invalid(f"spec.ipFamilies {list(svc.families)} holds an unknown family")
    if svc.family_policy not in POLICIES:
        raise invalid(f"spec.ipFamilyPolicy {svc.family_policy!r} is not one of {', '.join(POLICIES)}")
    if svc.family_policy == "RequireDualStack" and not wants_dual(svc):
        raise invalid("ipFamilyPolicy RequireDualStack needs two cluster IPs (IPv4 and IPv6); the Service has one")
    requested = svc.requested_ips
    if len(requested) > 2:
        raise invalid(f"{len(requested)} load-balancer IPs requested; request at most one IPv4 and one IPv6")
    req_families = {ip.version for ip in requested}
    if len(req_families) != len(requested):
        raise invalid(f"requested IPs {', '.join(map(str, requested))} are of one family; request one per family")
    if requested and req_families != set(svc.families):
        raise invalid(
            f"requested IPs {', '.join(map(str, requested))} do not match spec.ipFamilies "
            f"{[f'IPv{f}' for f in svc.families]}; request exactly one address per family"
        )
