# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""kube-proxy's KubeProxyConfiguration text: its mode, and strictARP set with the smallest edit.

PRIVATE to this collection: no compatibility promise outside it.

kubeadm keeps the configuration as YAML text in the kube-proxy ConfigMap (data["config.conf"]).
Re-dumping it would change quoting ("0" becomes '0'), and drop comments someone added, so
strictARP is set by editing the one line (or inserting it) in place. The edit is then checked:
the edited text must parse to exactly the old configuration with ipvs.strictARP true. When it
does not (flow style, anchors, odd layouts), the configuration is dumped instead, keeping key
order and values; only comments and quoting style are lost then.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import re

try:
    import yaml
except ImportError:  # kubernetes.core's module setup requires PyYAML and says so
    yaml = None

KIND = "KubeProxyConfiguration"
# kube-proxy's default on Linux when `mode` is empty or missing.
DEFAULT_MODE = "iptables"
IPVS_DEPRECATION = (
    "kube-proxy's IPVS mode is deprecated upstream: Kubernetes 1.35 warns about it, 1.37 puts it "
    "behind a feature gate and its removal is planned; plan a move to nftables mode (it needs "
    "no strictARP)")

_TOP_KEY = re.compile(r"^([A-Za-z0-9_]+):(\s.*)?$")
_CHILD = re.compile(r"^(\s+)([A-Za-z0-9_]+):(.*)$")
_VALUE_AND_COMMENT = re.compile(r"^(\s*)([^#]*?)(\s*#.*)?$")


class ProxyConfigError(ValueError):
    """config.conf is not a KubeProxyConfiguration we can read."""


def parse(text):
    """The configuration as a dict; ProxyConfigError when it is not a KubeProxyConfiguration."""
    if yaml is None:
        raise ProxyConfigError("reading config.conf needs the PyYAML Python library")
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProxyConfigError("config.conf is not YAML: %s" % exc) from exc
    if not isinstance(config, dict):
        raise ProxyConfigError("config.conf is not a YAML mapping")
    if config.get("kind") != KIND:
        raise ProxyConfigError("config.conf is a %r, not a %s" % (config.get("kind"), KIND))
    return config


def mode(config):
    """(configured mode as written, effective mode): "" means kube-proxy's default."""
    written = config.get("mode") or ""
    return written, (written or DEFAULT_MODE)


def strict_arp(config):
    """True when ipvs.strictARP is already true."""
    ipvs = config.get("ipvs")
    return isinstance(ipvs, dict) and ipvs.get("strictARP") is True


def wanted(config):
    """The configuration with ipvs.strictARP true (a copy)."""
    new = copy.deepcopy(config)
    ipvs = new.get("ipvs")
    if not isinstance(ipvs, dict):
        ipvs = {}
    ipvs["strictARP"] = True
    new["ipvs"] = ipvs
    return new


def config_hash(text):
    """A short, stable fingerprint of config.conf (the rollout annotation's value)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def set_strict_arp(text):
    """(new text, how) with ipvs.strictARP true; how is "edited" or "dumped"."""
    config = parse(text)
    expected = wanted(config)
    edited = _edit(text)
    if edited is not None:
        try:
            if yaml.safe_load(edited) == expected:
                return edited, "edited"
        except yaml.YAMLError:
            pass
    return yaml.safe_dump(expected, default_flow_style=False, sort_keys=False), "dumped"


def _edit(text):
    """The text with strictARP set in the block-style `ipvs:` mapping, or None."""
    lines = text.splitlines(True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    tops = []
    for i, line in enumerate(lines):
        m = _TOP_KEY.match(line.rstrip("\r\n"))
        if m:
            tops.append((i, m.group(1), (m.group(2) or "").strip()))
    starts = [(i, rest) for i, key, rest in tops if key == "ipvs"]
    if len(starts) > 1 or any(rest and not rest.startswith("#") for dummy, rest in starts):
        return None  # ipvs: {...} or ipvs: null, or a duplicate key: leave it to the dump
    if not starts:
        indent = _indent_of(lines) or "  "
        block = ["ipvs:" + newline, indent + "strictARP: true" + newline]
        at = _sorted_position([top[1] for top in tops], "ipvs")
        if at is None or at >= len(tops):
            return _append(lines, block, newline)
        return "".join(lines[:tops[at][0]] + block + lines[tops[at][0]:])
    start = starts[0][0]
    end = _block_end(lines, start)
    children = []
    indent = None
    for i in range(start + 1, end):
        m = _CHILD.match(lines[i].rstrip("\r\n"))
        if not m or m.group(2).startswith("#"):
            continue
        if indent is None:
            indent = m.group(1)
        if m.group(1) == indent:
            children.append((i, m.group(2), m.group(3)))
    for i, key, rest in children:
        if key == "strictARP":
            value = _VALUE_AND_COMMENT.match(rest)
            comment = value.group(3) or ""
            lines[i] = "%sstrictARP: true%s%s" % (indent, comment, newline)
            return "".join(lines)
    indent = indent or (_indent_of(lines) or "  ")
    line = indent + "strictARP: true" + newline
    at = _sorted_position([child[1] for child in children], "strictARP")
    if at is not None and at < len(children):
        position = children[at][0]
    else:
        position = _last_content_line(lines, start, end) + 1
    return "".join(lines[:position] + [line] + lines[position:])


def _block_end(lines, start):
    """Index of the first line after the mapping that starts at `start`."""
    for i in range(start + 1, len(lines)):
        stripped = lines[i].rstrip("\r\n")
        if stripped and not stripped[0].isspace() and not stripped.startswith("#"):
            return i
    return len(lines)


def _last_content_line(lines, start, end):
    last = start
    for i in range(start + 1, end):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            last = i
    return last


def _indent_of(lines):
    """The indentation the file uses for nested keys (e.g. two spaces)."""
    for line in lines:
        m = _CHILD.match(line.rstrip("\r\n"))
        if m and not m.group(2).startswith("#"):
            return m.group(1)
    return None


def _sorted_position(keys, new):
    """Where `new` goes among `keys` when they are sorted (kubeadm writes them sorted), else None."""
    if keys != sorted(keys):
        return None
    for n, key in enumerate(keys):
        if key > new:
            return n
    return len(keys)


def _append(lines, block, newline):
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1] + [lines[-1] + newline]
    return "".join(lines + block)
