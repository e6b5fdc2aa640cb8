"""Parse and validate IPAddressPool objects (metallb.io/v1beta1) into allocator Pools.

MetalLB facts (internal/config/config.go `addressPoolFromCR`, `ParseCIDR`, `poolsFor`;
api/v1beta1/ipaddresspool_types.go):
- spec.addresses: CIDRs (host bits allowed, "10.0.0.5/24" means 10.0.0.0/24) or ranges
  "first-last" of one family, first <= last; at least one entry. We also accept a bare IP
  (one address), which MetalLB rejects;
- spec.autoAssign defaults to true, spec.avoidBuggyIPs to false;
- spec.serviceAllocation: priority (0 = none), namespaces (no duplicates),
  namespaceSelectors, serviceSelectors (no duplicate selectors);
- no two CIDRs overlap, within a pool or across pools. MetalLB then rejects the WHOLE
  configuration; we leave out only the later pool (by creationTimestamp, then name), so one
  bad edit cannot take every Service's address away.
A negative priority is rejected here: MetalLB's sort is inconsistent for it.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

from baremetal_lb.allocator import IPAddress, LabelSelector, Pool
from baremetal_lb.config.errors import ConfigError, Problem, describe
from baremetal_lb.config.selectors import parse_selectors

KIND = "IPAddressPool"
Range = tuple[IPAddress, IPAddress]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(text: object, where: str) -> Range:
    """One spec.addresses entry as an inclusive (first, last) pair."""
    bad = ConfigError(f"{where} {text!r} is not an IP, a CIDR or a range a-b")
    if not isinstance(text, str):
        raise bad
    try:
        if "-" in text:
            first_text, last_text = text.split("-", 1)
            first, last = ipaddress.ip_address(first_text.strip()), ipaddress.ip_address(last_text.strip())
            if first.version != last.version:
                raise ConfigError(f"{where} {text!r} mixes IPv4 and IPv6; use one range per family")
            if int(first) > int(last):
                raise ConfigError(f"{where} {text!r} starts after it ends; write it as {last}-{first}")
            return (first, last)
        if "/" in text:
            net = ipaddress.ip_network(text.strip(), strict=False)
            return (net.network_address, net.broadcast_address)
        ip = ipaddress.ip_address(text.strip())
        return (ip, ip)
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise bad from None


def networks(pool: Pool) -> list[IPNetwork]:
    """The CIDRs covering a pool's ranges (a range a-b split as MetalLB does), in range order."""
    found: list[IPNetwork] = []
    for first, last in pool.ranges:
        found += ipaddress.summarize_address_range(first, last)
    return found


def _text(r: Range) -> str:
    return str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}"


def _overlap(a: Range, b: Range) -> bool:
    return a[0].version == b[0].version and int(a[0]) <= int(b[1]) and int(b[0]) <= int(a[1])


def _selectors(allocation: Mapping[str, Any], field: str, where: str) -> tuple[LabelSelector, ...]:
    path = f"spec.serviceAllocation.{field}"
    parsed = parse_selectors(allocation.get(field), f"{where}: {path}")
    for i, s in enumerate(parsed):
        if s in parsed[:i]:
            raise ConfigError(f"{where}: {path}[{i}] repeats {path}[{parsed.index(s)}]; remove the duplicate")
    return parsed


def _flag(spec: Mapping[str, Any], field: str, default: bool, where: str) -> bool:
    value = spec.get(field, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: spec.{field} is {value!r}; use true or false")
    return value


def parse_pool(obj: Mapping[str, Any]) -> Pool:
    where = describe(obj, KIND)
    name = (obj.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: metadata.name is missing")
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: spec is missing; give at least spec.addresses")
    addresses = spec.get("addresses")
    if not isinstance(addresses, list) or not addresses:
        raise ConfigError(f"{where}: spec.addresses must list at least one CIDR, range a-b or IP")
    ranges: list[Range] = []
    for i, text in enumerate(addresses):
        r = parse_address(text, f"{where}: spec.addresses[{i}]")
        for j, other in enumerate(ranges):
            if _overlap(r, other):
                raise ConfigError(
                    f"{where}: spec.addresses[{i}] {text!r} overlaps spec.addresses[{j}] {addresses[j]!r}; "
                    "list each address once"
                )
        ranges.append(r)

    allocation = spec.get("serviceAllocation")
    if allocation is None:
        allocation = {}
    if not isinstance(allocation, Mapping):
        raise ConfigError(f"{where}: spec.serviceAllocation must be an object")
    priority = allocation.get("priority", 0)
    if priority is None:
        priority = 0
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
        raise ConfigError(f"{where}: spec.serviceAllocation.priority {priority!r} must be an integer >= 0 "
                          "(lower is tried first, 0 means none)")
    namespaces = allocation.get("namespaces") or []
    if not isinstance(namespaces, list) or not all(isinstance(n, str) and n for n in namespaces):
        raise ConfigError(f"{where}: spec.serviceAllocation.namespaces must be a list of namespace names")
    if len(set(namespaces)) != len(namespaces):
        raise ConfigError(f"{where}: spec.serviceAllocation.namespaces lists a namespace twice; remove the duplicate")

    return Pool(
        name=name,
        ranges=tuple(ranges),
        auto_assign=_flag(spec, "autoAssign", True, where),
        avoid_buggy_ips=_flag(spec, "avoidBuggyIPs", False, where),
        priority=priority or None,
        namespaces=frozenset(namespaces),
        namespace_selectors=_selectors(allocation, "namespaceSelectors", where),
        service_selectors=_selectors(allocation, "serviceSelectors", where),
    )


class _Claimed:
    """Ranges of the pools accepted so far, per family, sorted by first address."""

    def __init__(self) -> None:
        self._firsts: dict[int, list[int]] = {4: [], 6: []}
        self._entries: dict[int, list[tuple[Range, str]]] = {4: [], 6: []}

    def clash(self, r: Range) -> tuple[Range, str] | None:
        fam = r[0].version
        pos = bisect_right(self._firsts[fam], int(r[1])) - 1
        if pos >= 0 and int(self._entries[fam][pos][0][1]) >= int(r[0]):
            return self._entries[fam][pos]
        return None

    def add(self, r: Range, owner: str) -> None:
        fam = r[0].version
        pos = bisect_right(self._firsts[fam], int(r[0]))
        self._firsts[fam].insert(pos, int(r[0]))
        self._entries[fam].insert(pos, (r, owner))


def accept_pools(objs: Iterable[Mapping[str, Any]]
                 ) -> tuple[list[tuple[Mapping[str, Any], Pool]], list[Problem]]:
    """The valid pools with the objects they came from (by name), and why the others were
    left out.

    Invalid pools, and the later of two overlapping pools (by creationTimestamp, then name),
    are left out; the rest keep working.
    """
    problems: list[Problem] = []
    parsed: list[tuple[str, str, Mapping[str, Any], Pool]] = []
    for obj in objs:
        try:
            pool = parse_pool(obj)
        except ConfigError as exc:
            problems.append(Problem.about(obj, KIND, str(exc)))
            continue
        created = str((obj.get("metadata") or {}).get("creationTimestamp") or "")
        parsed.append((created, pool.name, obj, pool))

    claimed = _Claimed()
    accepted: dict[str, tuple[Mapping[str, Any], Pool]] = {}
    for _, name, obj, pool in sorted(parsed, key=lambda t: (t[0], t[1])):
        where = describe(obj, KIND)
        if name in accepted:
            problems.append(Problem.about(obj, KIND, f"{where}: defined twice; keep one"))
            continue
        clash = next(((r, c) for r in pool.ranges if (c := claimed.clash(r)) is not None), None)
        if clash is not None:
            mine, (theirs, other) = clash
            problems.append(Problem.about(obj, KIND, (
                f"{where}: addresses {_text(mine)} overlap {_text(theirs)} of the older "
                f"IPAddressPool {other}; remove the overlap (this pool is ignored until then)")))
            continue
        for r in pool.ranges:
            claimed.add(r, name)
        accepted[name] = (obj, pool)
    return [accepted[n] for n in sorted(accepted)], problems


def parse_pools(objs: Iterable[Mapping[str, Any]]) -> tuple[list[Pool], list[Problem]]:
    """Valid pools (by name) and why the others were left out (see accept_pools)."""
    accepted, problems = accept_pools(objs)
    return [pool for _, pool in accepted], problems
