"""The allocator: which addresses each LoadBalancer Service gets. Pure, no I/O, not thread-safe.

`assign` follows MetalLB's controller (controller/service.go `convergeBalancer`,
`allocateIPs`) in this order:
1. the key's existing assignment, if still valid for the request (address still in a pool
   that allows the Service, pool annotation and requested IPs unchanged, families fit, no
   sharing conflict): returned as the same object. MetalLB re-checks the status IPs the
   same way and clears them ("ClearAssignment") when they no longer fit;
2. requested IPs (metallb.io/loadBalancerIPs or spec.loadBalancerIP): all in ONE pool, that
   pool allows the Service (autoAssign does not matter), matches the pool annotation if any,
   and the addresses are free or shareable;
3. the Service's current status IPs, under the same checks as 1 (restart persistence);
4. the annotation pool, else the pools of `selection.auto_groups`, lowest address first.

Dual stack (internal/allocator/allocator.go `findBestPoolForService`, allocation.go):
both addresses always come from one pool. In a group of pools, the first pool that has
both families wins; for PreferDualStack, if none has both, the first pool with the
primary family (spec.ipFamilies[0]) then the first with the other gives one address.
A PreferDualStack Service holding one address gets the missing family added from the same
pool when it frees up (MetalLB `AllocateFromPoolForAdditionalFamily`). New dual
assignments list IPv4 first, like MetalLB; requested IPs keep the user's order.

Deliberate difference: among a pool's addresses, one already used by a compatible Service
with the same sharing key is preferred to the lowest free one (MetalLB takes the lowest
address that is free or shareable, which only shares by accident of order).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from baremetal_lb.allocator.addresses import Family, lowest_usable, make_ip
from baremetal_lb.allocator.errors import AllocationError
from baremetal_lb.allocator.ledger import Ledger, addr_of
from baremetal_lb.allocator.model import Assignment, IPAddress, Pool, PoolUsage, ServiceRequest
from baremetal_lb.allocator.pooltable import PoolTable
from baremetal_lb.allocator.selection import allows, auto_groups, validate, wants_dual
from baremetal_lb.allocator.sharing import Usage


@dataclass
class _Entry:
    assignment: Assignment
    usage: Usage
    request: ServiceRequest


def _ips(ips: Sequence[IPAddress]) -> str:
    return ", ".join(map(str, ips))


class Allocator:
    def __init__(self) -> None:
        self._table = PoolTable(())
        self._entries: dict[str, _Entry] = {}
        self._ledger = Ledger()

    # -- pools ---------------------------------------------------------------------------

    def set_pools(self, pools: Sequence[Pool]) -> list[str]:
        """Replace the pools; release and return (sorted) the keys whose IPs no longer fit.

        An assignment stays when all its addresses are in one new pool that still allows the
        Service and matches its pool annotation (it may move to a renamed pool). MetalLB
        `SetPools` releases only addresses outside every pool and then re-checks every
        Service; the caller must also do that re-check (call `assign` for all Services).
        Raises ValueError for duplicate names or overlapping pools (parse_pools prevents both).
        """
        table = PoolTable(pools)
        released, moved = [], {}
        for key in sorted(self._entries):
            entry = self._entries[key]
            holder = table.holding(entry.assignment.ips)
            request = entry.request
            if holder is None or not allows(holder, request) or (request.pool and request.pool != holder.name):
                released.append(key)
            elif holder.name != entry.assignment.pool:
                moved[key] = holder.name
        for key in released:
            self._forget(key)
        self._table = table
        for key, name in moved.items():
            entry = self._entries[key]
            entry.assignment = Assignment(name, entry.assignment.ips)
        self._ledger.recount(lambda addr: table.owner(*addr))
        return released

    # -- queries -------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of Services holding an assignment."""
        return len(self._entries)

    def assignment(self, key: str) -> Assignment | None:
        entry = self._entries.get(key)
        return None if entry is None else entry.assignment

    def usage(self) -> dict[str, PoolUsage]:
        """Per pool: distinct addresses in use (a shared IP counts once) and still free."""
        result = {}
        for name in sorted(self._table.pools):
            cap, used = self._table.capacity[name], self._ledger.assigned[name]
            result[name] = PoolUsage(used[4], cap[4] - used[4], used[6], cap[6] - used[6])
        return result

    # -- changes -------------------------------------------------------------------------

    def release(self, key: str) -> Assignment | None:
        return self._forget(key)

    def _forget(self, key: str) -> Assignment | None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self._ledger.remove(entry.assignment, entry.usage)
        return entry.assignment

    def _commit(self, svc: ServiceRequest, usage: Usage, assignment: Assignment) -> Assignment:
        self._forget(svc.key)
        self._ledger.add(assignment, usage)
        self._entries[svc.key] = _Entry(assignment, usage, svc)
        return assignment

    def assign(self, svc: ServiceRequest) -> Assignment:
        usage = Usage.of(svc)
        existing = self._entries.get(svc.key)
        try:
            validate(svc)
            if existing is not None:
                kept = self._keep(existing.assignment.ips, svc, usage, existing.assignment)
                if kept is existing.assignment and existing.usage == usage:
                    existing.request = svc  # the common resync: nothing to re-register
                    return kept
                if kept is not None:
                    return self._commit(svc, usage, kept)
                self._forget(svc.key)
            if svc.requested_ips:
                return self._commit(svc, usage, self._requested(svc, usage))
            kept = self._keep(svc.current_ips, svc, usage, None)
            if kept is not None:
                return self._commit(svc, usage, kept)
            return self._commit(svc, usage, self._automatic(svc, usage))
        except AllocationError:
            self._forget(svc.key)
            raise

    def claim(self, svc: ServiceRequest) -> Assignment | None:
        """Take the IPs the Service already shows (`current_ips`) if they still fit it, and
        never anything else: used after a restart or a leadership change, oldest Service
        first, so that one conflicting Service cannot push a fresh address onto an address
        another Service still shows. None leaves the Service to `assign`."""
        usage = Usage.of(svc)
        try:
            validate(svc)
        except AllocationError:
            return None
        kept = self._keep(svc.current_ips, svc, usage, None)
        return None if kept is None else self._commit(svc, usage, kept)

    # -- the four ways to an assignment ---------------------------------------------------

    def _keep(
        self, ips: Sequence[IPAddress], svc: ServiceRequest, usage: Usage, previous: Assignment | None
    ) -> Assignment | None:
        """`ips` as this Service's assignment if they still fit it (steps 1 and 3), else None."""
        families = [ip.version for ip in ips]
        if not ips or len(set(families)) != len(families):
            return None
        partial_ok = svc.family_policy == "PreferDualStack" and wants_dual(svc)
        if set(families) != set(svc.families) and not (partial_ok and set(families) < set(svc.families)):
            return None
        pool = self._table.holding(ips)
        if pool is None or not allows(pool, svc) or (svc.pool and svc.pool != pool.name):
            return None
        if svc.requested_ips and set(svc.requested_ips) != set(ips):
            return None
        if any(self._ledger.problem(addr_of(ip), usage) for ip in ips):
            return None
        kept = tuple(ips)
        if partial_ok and len(kept) == 1:
            extra = self._candidate(pool, 10 - kept[0].version, usage)
            if extra is not None:
                kept = (kept[0], extra)
        if previous is not None and previous.pool == pool.name and previous.ips == kept:
            return previous
        return Assignment(pool.name, kept)

    def _requested(self, svc: ServiceRequest, usage: Usage) -> Assignment:
        ips = svc.requested_ips
        owners: dict[str, list[IPAddress]] = {}
        for ip in ips:
            owner = self._table.owner(ip.version, int(ip))
            if owner is None:
                raise AllocationError(
                    "RequestedIPNotInPool",
                    f"Service {svc.key}: requested IP {ip} is not in any IPAddressPool; "
                    "request an address of a pool or add it to one",
                )
            if not self._table.holds(self._table.pools[owner], ip.version, int(ip)):
                raise AllocationError(
                    "RequestedIPNotInPool",
                    f"Service {svc.key}: requested IP {ip} ends in .0 or .255 and pool {owner} "
                    "has avoidBuggyIPs; request another address",
                )
            owners.setdefault(owner, []).append(ip)
        if len(owners) > 1:
            where = "; ".join(f"{_ips(v)} in pool {k}" for k, v in sorted(owners.items()))
            raise AllocationError(
                "RequestedIPNotInPool",
                f"Service {svc.key}: requested IPs must come from one pool, got {where}",
            )
        pool = self._table.pools[next(iter(owners))]
        if svc.pool and svc.pool != pool.name:
            raise AllocationError(
                "RequestedIPNotInPool",
                f"Service {svc.key}: requested IP(s) {_ips(ips)} are in pool {pool.name}, not in pool "
                f"{svc.pool} named by metallb.io/address-pool; change the annotation or the addresses",
            )
        if not allows(pool, svc):
            raise AllocationError("PoolNotAllowed", self._not_allowed(svc, pool))
        for ip in ips:
            why = self._ledger.problem(addr_of(ip), usage)
            if why is not None:
                raise AllocationError("RequestedIPTaken", f"Service {svc.key}: requested IP {ip} is taken: {why}")
        return Assignment(pool.name, tuple(ips))

    @staticmethod
    def _not_allowed(svc: ServiceRequest, pool: Pool) -> str:
        return (
            f"Service {svc.key}: pool {pool.name} does not allow Services of namespace {svc.namespace} "
            "with these labels (see its spec.serviceAllocation); use another pool or change the selectors"
        )

    def _automatic(self, svc: ServiceRequest, usage: Usage) -> Assignment:
        if svc.pool is not None:
            pool = self._table.pools.get(svc.pool)
            if pool is None:
                raise AllocationError(
                    "UnknownPool",
                    f"Service {svc.key}: metallb.io/address-pool names pool {svc.pool!r}, which does not "
                    f"exist or is invalid (known: {', '.join(sorted(self._table.pools)) or 'none'})",
                )
            if not allows(pool, svc):
                raise AllocationError("PoolNotAllowed", self._not_allowed(svc, pool))
            groups = [[pool]]
        else:
            groups = auto_groups(self._table.pools.values(), svc)
            if not groups:
                raise AllocationError(
                    "NoMatchingPool",
                    f"Service {svc.key}: no IPAddressPool with autoAssign allows namespace {svc.namespace} "
                    "and these labels; add a pool or name one in metallb.io/address-pool",
                )
        for group in groups:
            found = self._best(group, svc, usage)
            if found is not None:
                return found
        pools = [p for g in groups for p in g]
        wanted = "IPv4 and IPv6" if svc.family_policy == "RequireDualStack" else "/".join(
            f"IPv{f}" for f in svc.families
        )
        if not any(self._serves(p, svc) for p in pools):
            raise AllocationError(
                "IPFamilyUnavailable",
                f"Service {svc.key}: no usable pool ({', '.join(p.name for p in pools)}) has {wanted} "
                "addresses" + (" in one pool" if svc.family_policy == "RequireDualStack" else ""),
            )
        raise AllocationError(
            "PoolExhausted",
            f"Service {svc.key}: no free {wanted} address in pool(s) {', '.join(p.name for p in pools)}; "
            "free addresses, grow a pool, or share an IP (metallb.io/allow-shared-ip)",
        )

    def _serves(self, pool: Pool, svc: ServiceRequest) -> bool:
        have = self._table.families(pool)
        if svc.family_policy == "RequireDualStack":
            return set(svc.families) <= have
        return bool(set(svc.families) & have)

    def _best(self, group: list[Pool], svc: ServiceRequest, usage: Usage) -> Assignment | None:
        if not wants_dual(svc):
            for pool in group:
                ip = self._candidate(pool, svc.families[0], usage)
                if ip is not None:
                    return Assignment(pool.name, (ip,))
            return None
        primary, secondary = svc.families
        fallback: dict[int, Assignment] = {}
        for pool in group:
            first, second = self._candidate(pool, primary, usage), self._candidate(pool, secondary, usage)
            if first is not None and second is not None:
                return Assignment(pool.name, tuple(sorted((first, second), key=lambda ip: ip.version)))
            for fam, ip in ((primary, first), (secondary, second)):
                if ip is not None:
                    fallback.setdefault(fam, Assignment(pool.name, (ip,)))
        if svc.family_policy != "PreferDualStack":
            return None
        return fallback.get(primary) or fallback.get(secondary)

    def _candidate(self, pool: Pool, fam: Family, usage: Usage) -> IPAddress | None:
        """Best address of `fam` in `pool` for `usage`: a shareable sibling's, else lowest free."""
        if usage.sharing_key:
            for value in self._ledger.shared_by(usage.sharing_key, fam):
                if self._table.holds(pool, fam, value) and self._ledger.problem((fam, value), usage) is None:
                    return make_ip(fam, value)
        used = self._ledger.used[fam]
        for span in self._table.spans[pool.name]:
            if span.fam == fam:
                free = lowest_usable(used, fam, span.first, span.last, pool.avoid_buggy_ips)
                if free is not None:
                    return make_ip(fam, free)
        return None
