"""Address arithmetic on integers: containment, lowest free address, capacity.

Pools can be huge (a /15, an IPv6 /64), so nothing here enumerates a pool's addresses.
Addresses are handled as (family, int) and the addresses in use as one sorted list of ints
per family; the lowest free address of a range is found by bisection (see `lowest_free`).

MetalLB facts kept here (internal/allocator/allocator.go):
- a CIDR hands out every address it contains, network and broadcast included; only
  avoidBuggyIPs removes IPv4 addresses ending in .0 or .255 (`ipConfusesBuggyFirmwares`),
  and such an address is then not part of the pool at all (`poolFor` skips it), so it can
  be neither requested nor kept;
- capacity subtracts those buggy addresses (`poolCount`); we count them exactly for any
  range instead of per /24 of a CIDR, which gives the same numbers for CIDRs.
"""

import ipaddress
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from baremetal_lb.allocator.model import IPAddress

Family = int  # 4 or 6


def family(ip: IPAddress) -> Family:
    return ip.version


def make_ip(fam: Family, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if fam == 4 else ipaddress.IPv6Address(value)


def is_buggy(fam: Family, value: int) -> bool:
    """IPv4 x.x.x.0 / x.x.x.255 confuse smurf protection of some old CPE firmware."""
    return fam == 4 and value & 0xFF in (0, 0xFF)


def count_buggy(first: int, last: int) -> int:
    """Number of IPv4 addresses ending in .0 or .255 in [first, last]."""

    def upto(n: int, residue: int) -> int:  # how many x in [0, n] with x % 256 == residue
        return 0 if n < residue else (n - residue) // 256 + 1

    total = 0
    for residue in (0, 0xFF):
        total += upto(last, residue) - (upto(first - 1, residue) if first > 0 else 0)
    return total


def range_size(fam: Family, first: int, last: int, avoid_buggy: bool) -> int:
    size = last - first + 1
    if avoid_buggy and fam == 4:
        size -= count_buggy(first, last)
    return size


def lowest_free(used: Sequence[int], first: int, last: int) -> int | None:
    """Lowest value in [first, last] that is not in `used` (sorted, distinct), or None.

    With i = bisect_left(used, first), the range is packed from `first` up to used[j]
    exactly while used[j] - j == first - i; since used is strictly increasing, used[j] - j
    never decreases, so the first gap is found by bisection: O(log n), not O(n).
    """
    i = bisect_left(used, first)
    lo, hi = i, len(used)
    while lo < hi:
        mid = (lo + hi) // 2
        if used[mid] - mid > first - i:
            hi = mid
        else:
            lo = mid + 1
    candidate = first + (lo - i)
    return candidate if candidate <= last else None


def lowest_usable(used: Sequence[int], fam: Family, first: int, last: int, avoid_buggy: bool) -> int | None:
    """Like lowest_free, skipping buggy addresses when asked (a few bisections per /24)."""
    start = first
    while start <= last:
        candidate = lowest_free(used, start, last)
        if candidate is None or not (avoid_buggy and is_buggy(fam, candidate)):
            return candidate
        start = candidate + 1
    return None


@dataclass(frozen=True)
class Span:
    """One inclusive range of a pool, as integers."""

    fam: Family
    first: int
    last: int
    owner: str


class SpanIndex:
    """Which span (and so which pool) holds an address; spans must not overlap."""

    def __init__(self, spans: Iterable[Span]) -> None:
        self._starts: dict[Family, list[int]] = {4: [], 6: []}
        self._spans: dict[Family, list[Span]] = {4: [], 6: []}
        for span in sorted(spans, key=lambda s: (s.fam, s.first)):
            previous = self._spans[span.fam][-1] if self._spans[span.fam] else None
            if previous is not None and previous.last >= span.first:
                raise ValueError(
                    f"pools {previous.owner!r} and {span.owner!r} overlap at "
                    f"{make_ip(span.fam, span.first)}; config.parse_pools drops the later pool"
                )
            self._starts[span.fam].append(span.first)
            self._spans[span.fam].append(span)

    def find(self, fam: Family, value: int) -> Span | None:
        pos = bisect_right(self._starts[fam], value) - 1
        if pos < 0:
            return None
        span = self._spans[fam][pos]
        return span if value <= span.last else None
