# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""FRR configuration text <-> a flat list of items.

An item is `(context, line)`: `context` is the tuple of enclosing block headers (empty at the
top level), `line` the stripped line. A block header is itself an item of its parent context,
so an empty block (`route-map X deny 100` / `exit`) survives a round trip.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_SKIP = ("Building configuration...", "Current configuration:", "end", "!")
_EXITS = ("exit", "exit-address-family", "exit-vrf", "exit-vnc", "quit")


def _lines(text):
    out = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped in _SKIP or stripped.startswith("!"):
            continue
        out.append((len(raw) - len(raw.lstrip()), stripped))
    return out


def parse_text(text):
    """Split FRR configuration text into items (see the module docstring)."""
    lines = _lines(text)
    items = []
    stack = []  # (indent, header)
    for index, (indent, line) in enumerate(lines):
        if line in _EXITS:
            if stack and stack[-1][0] >= indent:
                stack.pop()
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        context = tuple(entry[1] for entry in stack)
        items.append((context, line))
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is not None and (
                following[0] > indent or (following[0] == indent and following[1] in _EXITS)):
            stack.append((indent, line))
    return items


def _tree(items):
    """Children of each block, in first-seen order: {context tuple: [line, ...]}."""
    order = {}
    seen = set()
    for context, line in items:
        for depth in range(len(context)):
            path = context[:depth + 1]
            if path not in seen:
                seen.add(path)
                order.setdefault(context[:depth], []).append(context[depth])
        path = context + (line,)
        if path not in seen:
            seen.add(path)
            order.setdefault(context, []).append(line)
    return order


def render_text(items, headers=()):
    """Items back to FRR configuration text, blocks closed with exit lines.

    `headers` are lines that open a block even when empty (every header item of `items` does).
    """
    opening = set(context + (line,) for context, line in items)
    with_body = set()
    for context in (item[0] for item in items):
        for depth in range(1, len(context) + 1):
            with_body.add(context[:depth])
    order = _tree(items)
    out = []

    def walk(key, depth):
        for line in order.get(key, []):
            path = key + (line,)
            out.append(" " * depth + line)
            is_block = path in with_body or (
                path in opening and _is_block_header(line, depth)) or line in headers
            if is_block:
                walk(path, depth + 1)
                out.append(" " * depth + (
                    "exit-address-family" if line.startswith("address-family") else "exit"))
    walk((), 0)
    return "\n".join(out) + "\n" if out else ""


def _is_block_header(line, depth):
    if depth == 0:
        return line.split()[0] in ("router", "route-map", "interface", "vrf", "line", "bfd",
                                   "key", "nexthop-group", "pbr-map", "segment-routing")
    return line.startswith("address-family")
