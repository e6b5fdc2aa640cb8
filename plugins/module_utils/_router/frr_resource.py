# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The frr_bgp states: build a full candidate configuration, check it, diff it, apply it.

The candidate is the running configuration with the lines of the touched owners (see
frr_model.line_key) replaced by the rendered config:
- merged: running lines whose (owner, attribute) the config sets are replaced;
- replaced: every line of each owner named in the config (peer, prefix-list, route-map) is;
- overridden: every modelled line is (other neighbors, prefix-lists, route-maps go away);
- deleted: the lines of the owners named in the config are removed (never the router-id).
Unmodelled lines (interfaces, static routes, other BGP settings) are kept in every state.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._router.base import RouterError
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_apply import mask
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_model import (
    line_key,
    parse_items,
    render,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_text import (
    parse_text,
    render_text,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_validate import validate
from ansible_collections.baremetal.exposure.plugins.module_utils._text import MASK

STATES = ("merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed")


def _clean(config):
    """Drop unset options (None, empty lists) recursively, as the argument spec fills them in."""
    if isinstance(config, dict):
        return dict((k, _clean(v)) for k, v in config.items() if v not in (None, [], {}))
    if isinstance(config, list):
        return [_clean(v) for v in config]
    return config


def named_owners(config):
    """Owners named in the config, even with no attribute set (what deleted removes)."""
    owners = set(("peer", p["name"]) for p in config.get("peer_groups") or [])
    owners |= set(("peer", n["address"]) for n in config.get("neighbors") or [])
    owners |= set(("prefix-list", p.get("afi") or "ipv4", p["name"])
                  for p in config.get("prefix_lists") or [])
    owners |= set(("route-map", r["name"]) for r in config.get("route_maps") or [])
    return owners


def _running_asn(items):
    for context, line in items:
        if not context and line.startswith("router bgp ") and len(line.split()) == 3:
            return int(line.split()[2])
    return None


def candidate(running_text, config, state):
    """The full candidate configuration text for `state` (merged/replaced/overridden/deleted)."""
    running = parse_text(running_text)
    asn = _running_asn(running)
    if config.get("asn") and asn is not None and asn != config["asn"]:
        raise RouterError("config.asn is %s but the router runs BGP AS %s: the AS of a running "
                          "instance cannot be changed in place; fix config.asn (or remove the "
                          "instance first)" % (config["asn"], asn))
    if not config.get("asn") and asn is not None:
        config = dict(config, asn=asn)
    want = render(config)
    keys = set(line_key(context, line) for context, line in want) - set([None])
    owners = set(key[0] for key in keys) | named_owners(config)
    if state == "deleted":
        # The router-id is the instance's identity, not something a peer set brings along.
        owners.discard(("router-id",))
    kept = []
    for context, line in running:
        key = line_key(context, line)
        drop = key is not None and (
            (state == "merged" and key in keys)
            or (state in ("replaced", "deleted") and key[0] in owners)
            or state == "overridden")
        if not drop:
            kept.append((context, line))
    if state != "deleted":
        kept.extend(want)
    # FRR does not show an empty address-family block: keep none, or it is a delta forever.
    used = set(context for context, line in kept)
    kept = [(context, line) for context, line in kept
            if not (line.startswith("address-family ") and context + (line,) not in used)]
    return render_text(kept)


def structured(text):
    """The modelled configuration of FRR text, passwords masked: what the module returns.

    A running configuration may hold passwords of peers the module does not manage (or an old
    password of one it does); none of them may reach the result, so none is returned.
    """
    return _masked(parse_items(parse_text(text)))


def _masked(config):
    for peer in config.get("peer_groups", []) + config.get("neighbors", []):
        if peer.get("password"):
            peer["password"] = MASK
    return config


def run(backend, state, config=None, running_config=None, check_mode=False):
    """The module result for one call (raises RouterError)."""
    config = _clean(config or {})
    if state == "parsed":
        if running_config is None:
            raise RouterError("state=parsed needs running_config (FRR configuration text)")
        return {"changed": False, "parsed": structured(running_config)}
    validate(config)
    if state == "rendered":
        return {"changed": False, "rendered": mask(render_text(render(config))).splitlines()}
    before_text = backend.running_config()
    before = structured(before_text)
    if state == "gathered":
        return {"changed": False, "gathered": before}
    if state == "deleted" and not config:
        raise RouterError("state=deleted needs config naming what to delete (peers, "
                          "prefix_lists, route_maps); it never deletes unnamed BGP config")
    text = candidate(before_text, config, state)
    backend.check(text)
    commands = backend.delta(text)
    result = {"changed": bool(commands), "commands": [mask(c) for c in commands],
              "before": before, "diff": {"before": mask(render_text(parse_text(before_text))),
                                         "after": mask(text)}}
    if not commands or check_mode:
        result["after"] = structured(text) if commands else before
        return result
    try:
        backend.apply(text)
        left = backend.delta(text)
        problem = "still different after frr-reload.py --reload: %s" % "; ".join(
            mask(c.strip()) for c in left) if left else None
    except RouterError as exc:
        problem = str(exc)
    if problem:
        raise RouterError("FRR did not take the change (%s); %s" % (
            problem, _restore(backend, before_text)))
    after_text = backend.running_config()
    result["after"] = structured(after_text)
    return result


def _restore(backend, before_text):
    try:
        backend.apply(render_text(parse_text(before_text)))
    except RouterError as exc:
        return "restoring the previous configuration failed too: %s" % exc
    return "the previous configuration was restored"
