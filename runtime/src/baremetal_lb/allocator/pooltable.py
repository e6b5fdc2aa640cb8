"""The pools as integer spans: which pool holds an address, and what each pool can hold.

Built once per `Allocator.set_pools`; immutable afterwards.
"""

from collections.abc import Sequence

from baremetal_lb.allocator.addresses import Family, Span, SpanIndex, is_buggy, range_size
from baremetal_lb.allocator.model import IPAddress, Pool


class PoolTable:
    def __init__(self, pools: Sequence[Pool]) -> None:
        """Raises ValueError for duplicate names, bad ranges or overlapping pools."""
        self.pools: dict[str, Pool] = {}
        self.spans: dict[str, list[Span]] = {}  # per pool, in the pool's own range order
        for pool in pools:
            if pool.name in self.pools:
                raise ValueError(f"two pools are named {pool.name!r}")
            self.pools[pool.name] = pool
            self.spans[pool.name] = []
            for first, last in pool.ranges:
                if first.version != last.version or int(first) > int(last):
                    raise ValueError(f"pool {pool.name!r}: range {first}-{last} is not one ascending family")
                self.spans[pool.name].append(Span(first.version, int(first), int(last), pool.name))
        self.index = SpanIndex(s for group in self.spans.values() for s in group)
        self.capacity: dict[str, dict[Family, int]] = {
            name: {
                fam: sum(range_size(fam, s.first, s.last, self.pools[name].avoid_buggy_ips)
                         for s in group if s.fam == fam)
                for fam in (4, 6)
            }
            for name, group in self.spans.items()
        }

    def owner(self, fam: Family, value: int) -> str | None:
        """Name of the pool holding the address, ignoring avoidBuggyIPs."""
        span = self.index.find(fam, value)
        return None if span is None else span.owner

    def holds(self, pool: Pool, fam: Family, value: int) -> bool:
        """Whether `pool` may hand out the address (avoidBuggyIPs applied)."""
        return self.owner(fam, value) == pool.name and not (pool.avoid_buggy_ips and is_buggy(fam, value))

    def holding(self, ips: Sequence[IPAddress]) -> Pool | None:
        """The one pool that may hand out all `ips`, if there is one (MetalLB `poolFor`)."""
        owners = {self.owner(ip.version, int(ip)) for ip in ips}
        if len(owners) != 1:
            return None
        name = owners.pop()
        if name is None:
            return None
        pool = self.pools[name]
        return pool if all(self.holds(pool, ip.version, int(ip)) for ip in ips) else None

    def families(self, pool: Pool) -> set[Family]:
        return {s.fam for s in self.spans[pool.name]}
