# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backend interface, the pure range arithmetic and the runner shared by every backend.

PRIVATE to this collection: no compatibility promise outside it.

A backend reads the server's state, plans the pools without the excluded (VIP) ranges,
lists what already sits inside them (leases) and applies the plan. The runner below does the
rest the same way for every backend: conflicts, check mode, diff, changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import (
    RangeError,
    parse_specs,
)


class ReservationError(ExposureError):
    """A backend cannot read, plan or apply; the message names the thing and the fix."""


class ConcurrentChange(ReservationError):
    """The server's configuration changed between our read and our write (someone else's
    edit): nothing was written, so their change is kept; reading again is safe."""


# Attempts of read-plan-write when another writer changed the server in between.
ATTEMPTS = 3


class Backend:
    """What every reservation backend implements (Kea, dnsmasq, later an IPAM).

    ``state`` and ``desired`` are backend-specific; ``pools_text`` renders either as lines
    for the diff, so before/after read the same for every backend.
    """

    name = "backend"

    def read(self):
        """The current state (from the server), including what ``plan`` needs."""
        raise NotImplementedError

    def plan(self, state, exclude):
        """The desired state: ``state`` with ``exclude`` (AddressRange list) kept out."""
        raise NotImplementedError

    def conflicts(self, state, exclude):
        """Things in use inside ``exclude`` (e.g. leases): a list of dicts with ``ip``."""
        raise NotImplementedError

    def pools_text(self, state):
        """The managed part of a state as text lines, for the diff and the result."""
        raise NotImplementedError

    def apply(self, state, desired):
        """Make the server match ``desired``; return a dict merged into the result.

        Raise ConcurrentChange, before writing anything, when the server no longer holds
        ``state`` (the runner reads and plans again).
        """
        raise NotImplementedError


def write_private(directory, name, text):
    """Write a new file readable by its owner only (0600): backups may hold credentials.
    Returns its path."""
    path = os.path.join(directory, name)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as out:
        out.write(text)
    return path


def parse_excludes(specs):
    """Address specs (strings) or plan ranges (dicts with first/last) -> AddressRange list."""
    try:
        return parse_specs(specs, "exclude")
    except RangeError as exc:
        raise ReservationError(str(exc)) from exc


def subtract(first, last, exclude):
    """The pieces of the inclusive range first..last (netaddr.IPAddress) left after removing
    every AddressRange of ``exclude`` of the same family, as ``[(first, last), ...]`` in order.
    """
    pieces = [(first, last)]
    for rng in sorted(exclude, key=lambda r: (r.version, r.first)):
        if rng.version != first.version:
            continue
        kept = []
        for lo, hi in pieces:
            if rng.last < lo or rng.first > hi:
                kept.append((lo, hi))
                continue
            if lo < rng.first:
                kept.append((lo, rng.first - 1))
            if rng.last < hi:
                kept.append((rng.last + 1, hi))
        pieces = kept
    return pieces


def overlaps(address, exclude):
    """Whether one address (netaddr.IPAddress) lies inside any excluded range."""
    return any(r.version == address.version and r.first <= address <= r.last for r in exclude)


def run(backend, exclude_specs, check_mode=False, ignore_existing_leases=False,
        attempts=ATTEMPTS):
    """Plan, check conflicts, apply unless check mode; return the module result.

    A write that finds the server changed since it was read (ConcurrentChange) starts over
    from a fresh read, at most ``attempts`` times in all, so another writer's change is never
    overwritten.
    """
    exclude = parse_excludes(exclude_specs)
    for attempt in range(1, attempts + 1):
        try:
            result = _attempt(backend, exclude, check_mode, ignore_existing_leases)
        except ConcurrentChange as exc:
            if attempt == attempts:
                raise ReservationError("%s; gave up after %d attempts, nothing was written"
                                       % (exc, attempts)) from exc
            continue
        result["attempts"] = attempt
        return result


def _attempt(backend, exclude, check_mode, ignore_existing_leases):
    state = backend.read()
    desired = backend.plan(state, exclude)
    before = backend.pools_text(state)
    after = backend.pools_text(desired)
    changed = before != after
    conflicts = backend.conflicts(state, exclude)
    if conflicts and not ignore_existing_leases:
        raise ReservationError(
            "%s: %d active lease(s) inside the excluded ranges: %s. Release them (or wait for "
            "them to expire) before reserving, or set ignore_existing_leases=true to reserve "
            "anyway (those clients keep their address until the lease ends)"
            % (backend.name, len(conflicts),
               ", ".join("%s (%s)" % (c["ip"], c.get("hw_address") or "?") for c in conflicts))
        )
    result = {
        "changed": changed,
        "backend": backend.name,
        "before": before,
        "after": after,
        "leases_in_exclude": conflicts,
        "diff": {
            "before": "\n".join(before) + "\n",
            "after": "\n".join(after) + "\n",
            "before_header": "%s pools" % backend.name,
            "after_header": "%s pools" % backend.name,
        },
    }
    if changed and not check_mode:
        result.update(backend.apply(state, desired))
    return result
