# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reserve a VIP pool in NetBox as IP ranges (status reserved, mark_populated).

PRIVATE to this collection: no compatibility promise outside it.

Self-contained on purpose: ``base.Backend`` plans DHCP pools *minus* the VIP ranges and
checks leases; an IPAM instead *adds* one object per VIP range and checks what else claims
those addresses, so the shapes differ. The pure functions (views, comparison, matching,
conflicts) are separated from ``run`` which drives a ``NetBoxClient``.

Ownership: a range is ours when it carries the managed tag, the site tag and a marker line
``baremetal.exposure pool: <name>`` in its comments. Only ours are updated or deleted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.baremetal.exposure.plugins.module_utils._deps import netaddr
from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import (
    RangeError,
    parse_specs,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._text import TextError, name, text

MANAGED_TAG = "baremetal-exposure"
MARKER = "baremetal.exposure pool: %s"
_MARKER_RE = re.compile(r"baremetal\.exposure pool: ([A-Za-z0-9_.-]+)")
# Prefix statuses that mean "these addresses are in use"; container and deprecated do not.
IN_USE_PREFIX_STATUSES = ("active", "reserved")
RANGES = "ipam/ip-ranges/"


class NetBoxReservationError(ExposureError):
    """Bad input, or something else claims the pool's addresses; names them and the fix."""


# NetBox's own limits (slugs: SlugField, max 100; description: max 200; VRF name: max 100).
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
SLUG_RULE = "letters, digits, '-' and '_' (a NetBox slug)"
POOL = re.compile(r"^[A-Za-z0-9_.-]+$")
POOL_RULE = "letters, digits, '_', '.' and '-' (the marker line of the range's comments)"


def check_fields(params):
    """Check every string the module writes to NetBox or reads back as ownership.

    The pool name goes into the marker line that says which ranges are ours: anything outside
    the marker's characters would make a range look like another pool's (or nobody's).
    """
    try:
        name("site", params.get("site"), SLUG, 100 - len(site_tag("")), SLUG_RULE)
        for option in ("pool",):
            if params.get(option) is not None:
                name(option, params[option], POOL, 100, POOL_RULE)
        for index, pool in enumerate(params.get("keep_pools") or []):
            name("keep_pools[%d]" % index, pool, POOL, 100, POOL_RULE)
        for option in ("role", "tenant"):
            if params.get(option) is not None:
                name(option, params[option], SLUG, 100, SLUG_RULE)
        for index, tag in enumerate(params.get("tags") or []):
            name("tags[%d]" % index, tag, SLUG, 100, SLUG_RULE)
        text("vrf", params.get("vrf"), 100, required=False)
        text("description", params.get("description"), 200, required=False)
        for index, subnet in enumerate(params.get("subnets") or []):
            text("subnets[%d]" % index, subnet, 64)
            if "/" not in subnet:
                raise TextError("subnets[%d] = %r must be a CIDR" % (index, subnet))
        parse_specs(params.get("subnets") or [], "subnets")
    except (TextError, RangeError) as exc:
        raise NetBoxReservationError(str(exc)) from exc


def site_tag(site):
    return "site-%s" % site


def pool_of(obj):
    """The pool name of the marker in a NetBox range's comments, or None."""
    found = _MARKER_RE.search(obj.get("comments") or "")
    return found.group(1) if found else None


def _slug(obj):
    return obj.get("slug") if isinstance(obj, dict) else None


def _value(obj):
    return obj.get("value") if isinstance(obj, dict) else obj


def _ip(text):
    return netaddr.IPAddress(str(text).split("/", maxsplit=1)[0])


def _mask(text):
    return int(str(text).split("/")[1])


def range_label(start, end, vrf=None):
    return "%s-%s (VRF %s)" % (start, end, vrf or "global")


def parse_pool_ranges(ranges):
    """Plan ranges (dicts with first/last) or spec strings -> AddressRange list."""
    try:
        return parse_specs(ranges, "ranges")
    except RangeError as exc:
        raise NetBoxReservationError(str(exc)) from exc


def mask_for(rng, subnets, prefixes):
    """The mask length for a range: the LAN subnet holding it, else the smallest enclosing
    NetBox prefix (``prefixes``: prefix strings), else a host mask (/32, /128)."""
    for candidates in (subnets or [], prefixes or []):
        best = None
        for cidr in candidates:
            net = netaddr.IPNetwork(cidr)
            if net.version == rng.version and rng.first in net and rng.last in net:
                if best is None or net.prefixlen > best:
                    best = net.prefixlen
        if best is not None:
            return best
    return 32 if rng.version == 4 else 128


def existing_view(obj):
    """The managed fields of a NetBox IP range object, for comparison and the diff."""
    return {
        "start_address": obj["start_address"],
        "end_address": obj["end_address"],
        "vrf": (obj.get("vrf") or {}).get("name"),
        "tenant": _slug(obj.get("tenant")),
        "status": _value(obj.get("status")),
        "role": _slug(obj.get("role")),
        "mark_populated": bool(obj.get("mark_populated")),
        "description": obj.get("description") or "",
        "comments": obj.get("comments") or "",
        "tags": sorted(_slug(t) for t in obj.get("tags") or []),
    }


def desired_view(rng, mask, spec, before=None):
    """What one range should look like; fields we do not manage are kept from ``before``.

    ``spec``: dict with pool, vrf (name or None), tenant (slug or None = unmanaged), status,
    role, description, tags (slugs).
    """
    before = before or {}
    marker = MARKER % spec["pool"]
    # Our marker line first, whatever people wrote below it is kept.
    rest = _MARKER_RE.sub("", before.get("comments") or "").strip()
    comments = "%s\n\n%s" % (marker, rest) if rest else marker
    tenant = spec.get("tenant") if spec.get("tenant") is not None else before.get("tenant")
    return {
        "start_address": "%s/%d" % (rng.first, mask),
        "end_address": "%s/%d" % (rng.last, mask),
        "vrf": spec.get("vrf"),
        "tenant": tenant,
        "status": spec["status"],
        "role": spec["role"],
        "mark_populated": True,
        "description": spec["description"],
        "comments": comments,
        "tags": sorted(set(before.get("tags") or []) | set(spec["tags"])),
    }


def changed_fields(before, after):
    """The names of the managed fields that differ (all of them for a new range)."""
    if before is None:
        return sorted(after)
    return sorted(key for key in after if before.get(key) != after[key])


def match_own(desired, own):
    """Pair each desired AddressRange with one of our existing ranges of the pool.

    An exact start/end match wins, then the first overlapping one of the same family.
    Returns ``(pairs, unmatched_own)`` with pairs ``[(rng, obj_or_None), ...]``.
    """
    left = list(own)
    pairs = [None] * len(desired)
    for pass_exact in (True, False):
        for index, rng in enumerate(desired):
            if pairs[index] is not None:
                continue
            for obj in left:
                first, last = _ip(obj["start_address"]), _ip(obj["end_address"])
                if first.version != rng.version:
                    continue
                if (first == rng.first and last == rng.last) if pass_exact else (
                        first <= rng.last and rng.first <= last):
                    pairs[index] = (rng, obj)
                    left.remove(obj)
                    break
    return [pair or (rng, None) for pair, rng in zip(pairs, desired)], left


def _overlaps(rng, first, last):
    return first.version == rng.version and first <= rng.last and rng.first <= last


def find_conflicts(rng, vrf, ranges, prefixes, addresses, own_ids):
    """What else claims addresses of ``rng`` in its VRF, as messages.

    ``ranges``: NetBox IP range objects of the VRF (ours, by id in ``own_ids``, are skipped);
    ``prefixes``: prefix objects, a conflict when in use (status active/reserved) and not
    enclosing the whole range (an enclosing prefix is the range's subnet); ``addresses``: IP
    address objects, every one inside the range is a conflict (we never create addresses).
    """
    found = []
    for obj in ranges:
        if obj["id"] in own_ids:
            continue
        first, last = _ip(obj["start_address"]), _ip(obj["end_address"])
        if _overlaps(rng, first, last):
            owner = pool_of(obj)
            found.append("IP range %s (id %d%s, %s)" % (
                range_label(obj["start_address"], obj["end_address"], vrf), obj["id"],
                ", status %s" % _value(obj.get("status")),
                ("pool %r of this collection" % owner) if owner else
                ("description %r" % (obj.get("description") or ""))))
    for obj in prefixes:
        net = netaddr.IPNetwork(obj["prefix"])
        if _value(obj.get("status")) not in IN_USE_PREFIX_STATUSES:
            continue
        if net.version != rng.version or (net.first <= int(rng.first) and int(rng.last) <= net.last):
            continue
        if net.first <= int(rng.last) and int(rng.first) <= net.last:
            found.append("prefix %s (id %d, status %s, description %r)" % (
                obj["prefix"], obj["id"], _value(obj.get("status")), obj.get("description") or ""))
    for obj in addresses:
        address = _ip(obj["address"])
        if address.version == rng.version and rng.first <= address <= rng.last:
            assigned = obj.get("assigned_object") or {}
            found.append("IP address %s (id %d, status %s%s%s)" % (
                obj["address"], obj["id"], _value(obj.get("status")),
                ", dns_name %s" % obj["dns_name"] if obj.get("dns_name") else "",
                ", assigned to %s" % (assigned.get("display") or assigned.get("name"))
                if assigned else ""))
    return found


def spanning_cidr(rng):
    return str(netaddr.spanning_cidr([rng.first, rng.last]))


class Lookups:
    """Slug/name -> id lookups of tags, the role, the VRF and the tenant (created if allowed)."""

    def __init__(self, client, check_mode):
        self.client = client
        self.check_mode = check_mode
        self.created = []

    def tag_ids(self, slugs):
        """Existing tags by slug -> id (missing ones are absent)."""
        found = {}
        for slug in slugs:
            for obj in self.client.list("extras/tags/", slug=slug):
                found[slug] = obj["id"]
        return found

    def ensure(self, path, slug, name):
        """The id of the object with ``slug`` at ``path``, created if missing (None in check
        mode when it would be created)."""
        found = self.client.list(path, slug=slug)
        if found:
            return found[0]["id"]
        self.created.append("%s %s" % (path.rstrip("/"), slug))
        if self.check_mode:
            return None
        return self.client.create(path, {"name": name, "slug": slug})["id"]

    def vrf(self, vrf):
        """(id, name) of a VRF given by name or route distinguisher; (None, None) = global."""
        if not vrf:
            return None, None
        found = self.client.list("ipam/vrfs/", name=vrf) or self.client.list("ipam/vrfs/", rd=vrf)
        if len(found) != 1:
            raise NetBoxReservationError(
                "VRF %r: %s in NetBox by name or RD; create it or fix the vrf option "
                "(exposure_ipam.vrf)" % (vrf, "not found" if not found else "ambiguous"))
        return found[0]["id"], found[0]["name"]

    def tenant(self, slug):
        if not slug:
            return None
        found = self.client.list("tenancy/tenants/", slug=slug)
        if not found:
            raise NetBoxReservationError(
                "tenant %r not found in NetBox (by slug); create it or fix the tenant option "
                "(exposure_ipam.tenant)" % slug)
        return found[0]["id"]


def own_ranges(client, site):
    """Our ranges of a site (managed tag and site tag, any VRF)."""
    tags = [MANAGED_TAG, site_tag(site)]
    # NetBox answers 400 to a tag filter naming a tag that does not exist: no tag, no range.
    if len(Lookups(client, True).tag_ids(tags)) < len(tags):
        return []
    return [obj for obj in client.list(RANGES, tag=tags) if pool_of(obj)]


def _vrf_filter(vrf_id):
    return "null" if vrf_id is None else vrf_id


def _sorted_views(views):
    return sorted(views, key=lambda v: (_ip(v["start_address"]).version, _ip(v["start_address"])))


def _result(before_views, after_views, actions, created_objects):
    before = _sorted_views(before_views)
    after = _sorted_views(after_views)
    return {
        "changed": before != after,
        "ranges": after,
        "actions": actions,
        "created_objects": created_objects,
        "diff": {"before": {"ranges": before}, "after": {"ranges": after}},
    }


def _delete(client, objs, check_mode, actions):
    for obj in objs:
        actions.append("delete %s (id %d, pool %s)" % (
            range_label(obj["start_address"], obj["end_address"], (obj.get("vrf") or {}).get("name")),
            obj["id"], pool_of(obj)))
        if not check_mode:
            client.delete(RANGES, obj["id"])


def run_prune(client, site, keep_pools, check_mode=False):
    """Delete our ranges of ``site`` whose pool is not in ``keep_pools``."""
    stale = [obj for obj in own_ranges(client, site) if pool_of(obj) not in set(keep_pools)]
    actions = []
    before = [existing_view(obj) for obj in stale]
    _delete(client, stale, check_mode, actions)
    return _result(before, [], actions, [])


def run_absent(client, site, pool, check_mode=False):
    mine = [obj for obj in own_ranges(client, site) if pool_of(obj) == pool]
    actions = []
    before = [existing_view(obj) for obj in mine]
    _delete(client, mine, check_mode, actions)
    return _result(before, [], actions, [])


def run_present(client, spec, ranges, subnets=None, check_mode=False):
    """Create or update one NetBox IP range per range of the pool; fail on conflicts first.

    ``spec``: site, pool, vrf, tenant, status, role, description, tags (extra slugs).
    """
    site = spec["site"]
    desired = parse_pool_ranges(ranges)
    if not desired:
        raise NetBoxReservationError("pool %r of site %s has no ranges" % (spec["pool"], site))
    lookups = Lookups(client, check_mode)
    vrf_id, vrf_name = lookups.vrf(spec.get("vrf"))
    tenant_id = lookups.tenant(spec.get("tenant"))
    tags = sorted(set([MANAGED_TAG, site_tag(site)] + list(spec.get("tags") or [])))
    view_spec = dict(spec, vrf=vrf_name, tags=tags)
    ours = own_ranges(client, site)
    mine = [obj for obj in ours if pool_of(obj) == spec["pool"]]
    own_ids = set(obj["id"] for obj in mine)
    pairs, stale = match_own(desired, mine)

    plans, conflicts = [], []
    for rng, obj in pairs:
        scope = {"vrf_id": _vrf_filter(vrf_id)}
        span = spanning_cidr(rng)
        prefixes = client.list("ipam/prefixes/", within_include=span, **scope)
        enclosing = [p["prefix"] for p in client.list(
            "ipam/prefixes/", contains="%s/%d" % (rng.first, 32 if rng.version == 4 else 128),
            **scope)]
        others = client.list(RANGES, family=rng.version, **scope)
        addresses = client.list("ipam/ip-addresses/", parent=span, **scope)
        for conflict in find_conflicts(rng, vrf_name, others, prefixes, addresses, own_ids):
            conflicts.append("%s-%s: %s" % (rng.first, rng.last, conflict))
        mask = mask_for(rng, subnets, enclosing)
        before = existing_view(obj) if obj else None
        plans.append((obj, before, desired_view(rng, mask, view_spec, before)))
    if conflicts:
        raise NetBoxReservationError(
            "site %s, pool %r: NetBox already has %d thing(s) inside the pool's addresses, so "
            "nothing was written: %s. Remove or move them in NetBox, or change the pool "
            "(exposure_pools) so it does not cover them"
            % (site, spec["pool"], len(conflicts), "; ".join(conflicts)))

    actions, created_objects = [], []
    todo = [(obj, before, after) for obj, before, after in plans if before != after]
    _delete(client, stale, check_mode, actions)
    if todo:
        ids = _reference_ids(lookups, spec, tags)
        created_objects = lookups.created
        for obj, before, after in todo:
            body = _body(before, after, ids, vrf_id, tenant_id)
            label = range_label(after["start_address"], after["end_address"], vrf_name)
            if obj is None:
                actions.append("create %s" % label)
                if not check_mode:
                    client.create(RANGES, body)
            else:
                actions.append("update %s (id %d): %s" % (label, obj["id"], ", ".join(sorted(body))))
                if not check_mode:
                    client.update(RANGES, obj["id"], body)
    before_views = [b for o, b, a in plans if b] + [existing_view(o) for o in stale]
    return _result(before_views, [a for o, b, a in plans], actions, created_objects)


def _reference_ids(lookups, spec, tags):
    role_name = spec.get("role_name") or spec["role"].replace("-", " ").capitalize()
    ids = {"role": lookups.ensure("ipam/roles/", spec["role"], role_name), "tags": {}}
    for slug in tags:
        ids["tags"][slug] = lookups.ensure("extras/tags/", slug, slug)
    return ids


def _body(before, after, ids, vrf_id, tenant_id):
    """The POST (before None) or PATCH body: only the fields that differ."""
    fields = changed_fields(before, after)
    body = {}
    for key in fields:
        if key == "vrf":
            body["vrf"] = vrf_id
        elif key == "tenant":
            body["tenant"] = tenant_id
        elif key == "role":
            body["role"] = ids["role"]
        elif key == "tags":
            body["tags"] = [{"slug": slug} for slug in after["tags"]]
        else:
            body[key] = after[key]
    return body
