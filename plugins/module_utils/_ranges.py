# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Address specs: parse, normalize and compare VIP pool ranges.

PRIVATE to this collection: no compatibility promise outside it.

An address spec is one string:

* a CIDR, ``198.51.100.0/28`` or ``2001:db8::/124`` (host bits must be zero);
* a range, ``198.51.100.200-198.51.100.220`` (both ends included, same family);
* a single address, ``198.51.100.7`` (a /32 or /128).

Every error is a ``RangeError`` whose message names the offending spec and, where it can,
the fix. Callers (modules, filters, roles) wrap it in their own error type.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._deps import check, netaddr
from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError


class RangeError(ExposureError, ValueError):
    """An address spec is invalid, or two specs conflict."""


class AddressRange:
    """An inclusive range of IP addresses parsed from one spec string."""

    __slots__ = ("spec", "first", "last", "version")

    def __init__(self, spec, first, last):
        self.spec = spec
        self.first = first
        self.last = last
        self.version = first.version

    @property
    def size(self):
        return int(self.last) - int(self.first) + 1

    def cidrs(self):
        """The minimal list of CIDRs that covers exactly this range, as strings."""
        return [str(c) for c in netaddr.IPRange(self.first, self.last).cidrs()]

    def overlap(self, other):
        """The overlapping part with another range as ``(first, last)``, or None."""
        if self.version != other.version:
            return None
        first = max(self.first, other.first)
        last = min(self.last, other.last)
        if first > last:
            return None
        return first, last

    def to_dict(self):
        return {
            "spec": self.spec,
            "first": str(self.first),
            "last": str(self.last),
            "size": self.size,
            "cidrs": self.cidrs(),
            "version": self.version,
        }

    def __repr__(self):
        return "AddressRange(%r)" % (self.spec,)


def _parse_address(text, spec):
    text = text.strip()
    if not text:
        raise RangeError("invalid address spec %r: an address is empty" % (spec,))
    if "%" in text:
        raise RangeError("invalid address spec %r: zone indexes (%%) are not allowed" % (spec,))
    try:
        # INET_PTON: no shorthand such as '10.1' or leading zeros read as octal.
        return netaddr.IPAddress(text, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise RangeError("invalid address spec %r: %r is not an IP address" % (spec, text)) from None


def _parse_cidr(text, spec):
    address_text, dummy, prefix_text = text.partition("/")
    address = _parse_address(address_text, spec)
    width = 32 if address.version == 4 else 128
    prefix_text = prefix_text.strip()
    if not prefix_text.isdigit() or int(prefix_text) > width:
        raise RangeError(
            "invalid address spec %r: the prefix length must be a number from 0 to %d"
            % (spec, width)
        )
    network = netaddr.IPNetwork("%s/%s" % (address, int(prefix_text)))
    if network.ip != network.network:
        raise RangeError(
            "invalid address spec %r: host bits are set; did you mean %s?" % (spec, network.cidr)
        )
    return network[0], network[-1]


def parse_range(spec):
    """Parse one address spec into an AddressRange. Raises RangeError."""
    check("netaddr")
    if not isinstance(spec, str):
        raise RangeError(
            "invalid address spec %r: expected a string (CIDR, first-last range or address), "
            "got %s" % (spec, type(spec).__name__)
        )
    text = spec.strip()
    if not text:
        raise RangeError(
            "invalid address spec %r: it is empty; give a CIDR, a first-last range or an address"
            % (spec,)
        )
    if "/" in text and "-" in text:
        raise RangeError(
            "invalid address spec %r: use either a CIDR or a first-last range, not both" % (spec,)
        )
    if "/" in text:
        first, last = _parse_cidr(text, spec)
    elif "-" in text:
        parts = text.split("-")
        if len(parts) != 2:
            raise RangeError(
                "invalid address spec %r: it is not an IP address, a CIDR or a first-last range "
                "(a range is exactly two addresses joined by '-')" % (spec,)
            )
        first = _parse_address(parts[0], spec)
        last = _parse_address(parts[1], spec)
        if first.version != last.version:
            raise RangeError(
                "invalid address spec %r: mixes IPv%d and IPv%d; both ends must be the same family"
                % (spec, first.version, last.version)
            )
        if first > last:
            raise RangeError(
                "invalid address spec %r: the range is reversed (%s is after %s); did you mean %s-%s?"
                % (spec, first, last, last, first)
            )
    else:
        first = last = _parse_address(text, spec)
    return AddressRange(spec, first, last)


def parse_specs(specs, label):
    """Address specs (strings) or plan ranges (dicts with ``first``/``last``, as in
    ``exposure_plan.pools[].ranges``) -> AddressRange list. Raises RangeError naming the entry
    as ``label[index]``."""
    parsed = []
    for index, spec in enumerate(specs or []):
        where = "%s[%d]" % (label, index)
        if isinstance(spec, dict):
            if "first" not in spec or "last" not in spec:
                raise RangeError(
                    "%s %r: a range given as a dict needs 'first' and 'last' "
                    "(as in exposure_plan.pools[].ranges)" % (where, spec)
                )
            spec = "%s-%s" % (spec["first"], spec["last"])
        try:
            parsed.append(parse_range(spec))
        except RangeError as exc:
            raise RangeError("%s: %s" % (where, exc)) from exc
    return parsed


def range_to_cidrs(spec):
    """The minimal CIDR list (strings) covering one address spec. Raises RangeError."""
    return parse_range(spec).cidrs()


def find_overlaps(ranges):
    """All overlapping pairs in a list of AddressRange.

    Returns a list of ``(index_a, index_b, first, last)`` with ``index_a < index_b``, in order.
    """
    found = []
    ordered = sorted(enumerate(ranges), key=lambda item: (item[1].version, item[1].first))
    # Sweep: compare each range with the following ones while they can still overlap.
    for pos, (index_a, range_a) in enumerate(ordered):
        for index_b, range_b in ordered[pos + 1:]:
            if range_b.version != range_a.version or range_b.first > range_a.last:
                break
            first, last = range_a.overlap(range_b)
            found.append((min(index_a, index_b), max(index_a, index_b), first, last))
    found.sort(key=lambda item: (item[0], item[1]))
    return found


def describe_overlap(ranges, overlap, label="addresses"):
    """A message naming both specs of one overlap found by find_overlaps."""
    index_a, index_b, first, last = overlap
    shared = str(first) if first == last else "%s-%s" % (first, last)
    return "%s[%d] %r overlaps %s[%d] %r (shared: %s)" % (
        label, index_a, ranges[index_a].spec, label, index_b, ranges[index_b].spec, shared,
    )
