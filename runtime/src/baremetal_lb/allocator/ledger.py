"""Bookkeeping of who uses which address: the state behind Allocator, kept consistent.

Per address: the Services on it and how they use it (for sharing checks). Per family: the
sorted list of addresses in use (for `lowest_free`). Per sharing key: the sorted addresses
it is used on (to prefer joining a sibling). Per pool: how many distinct addresses are used.
"""

from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable

from baremetal_lb.allocator.addresses import Family
from baremetal_lb.allocator.model import Assignment, IPAddress
from baremetal_lb.allocator.sharing import Usage, conflict

Addr = tuple[Family, int]


def addr_of(ip: IPAddress) -> Addr:
    return (ip.version, int(ip))


def _discard_sorted(values: list[int], value: int) -> None:
    pos = bisect_left(values, value)
    if pos < len(values) and values[pos] == value:
        del values[pos]


class Ledger:
    def __init__(self) -> None:
        self.users: dict[Addr, dict[str, Usage]] = {}
        self.used: dict[Family, list[int]] = {4: [], 6: []}
        self.by_sharing_key: dict[str, dict[Family, list[int]]] = {}
        self.assigned: defaultdict[str, dict[Family, int]] = defaultdict(lambda: {4: 0, 6: 0})

    def add(self, assignment: Assignment, usage: Usage) -> None:
        for ip in assignment.ips:
            addr = addr_of(ip)
            users = self.users.setdefault(addr, {})
            if not users:
                insort(self.used[addr[0]], addr[1])
                self.assigned[assignment.pool][addr[0]] += 1
            users[usage.key] = usage
            if usage.sharing_key:
                values = self.by_sharing_key.setdefault(usage.sharing_key, {4: [], 6: []})[addr[0]]
                pos = bisect_left(values, addr[1])
                if pos == len(values) or values[pos] != addr[1]:
                    values.insert(pos, addr[1])

    def remove(self, assignment: Assignment, usage: Usage) -> None:
        for ip in assignment.ips:
            addr = addr_of(ip)
            users = self.users.get(addr, {})
            users.pop(usage.key, None)
            if not users:
                self.users.pop(addr, None)
                _discard_sorted(self.used[addr[0]], addr[1])
                self.assigned[assignment.pool][addr[0]] -= 1
            if usage.sharing_key and not any(u.sharing_key == usage.sharing_key for u in users.values()):
                values = self.by_sharing_key.get(usage.sharing_key)
                if values is not None:
                    _discard_sorted(values[addr[0]], addr[1])

    def problem(self, addr: Addr, usage: Usage) -> str | None:
        """Why `usage` cannot be placed on `addr` next to its other users, if it cannot."""
        for other in self.users.get(addr, {}).values():
            if other.key != usage.key:
                why = conflict(usage, other)
                if why is not None:
                    return why
        return None

    def shared_by(self, sharing_key: str, fam: Family) -> list[int]:
        return self.by_sharing_key.get(sharing_key, {4: [], 6: []})[fam]

    def recount(self, pool_of: Callable[[Addr], str | None]) -> None:
        """Recompute per-pool counts after the pools changed (an address may change pool)."""
        self.assigned = defaultdict(lambda: {4: 0, 6: 0})
        for addr in self.users:
            name = pool_of(addr)
            if name is not None:
                self.assigned[name][addr[0]] += 1
