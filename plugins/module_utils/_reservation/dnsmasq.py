# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dnsmasq backend: the ``dhcp-range`` lines of one managed configuration file.

PRIVATE to this collection: no compatibility promise outside it.

Ranges that overlap a VIP range are split or shrunk, each piece keeping the line's tags,
netmask and lease time; every other line stays as it is. The candidate is checked with
``dnsmasq --test`` (through a temporary main configuration that reads it in place of the
managed file) before it replaces the old file, atomically, after a backup. dnsmasq only reads
``dhcp-range`` at start: the result says ``restart_needed``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
import time

from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import (
    RangeError,
    parse_range,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.base import (
    Backend,
    ReservationError,
    overlaps,
    subtract,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._text import TextError, shown, text

# dnsmasq.c: "set:", "tag:" and the older "net:" prefixes come before the start address.
_TAG_PREFIXES = ("set:", "tag:", "net:")
PATH_MAX = 4096


def check_path(where, value):
    """A path that can be written as ``conf-file=<path>`` in a dnsmasq file and read back as is.

    dnsmasq (option.c, read_file) turns whitespace into spaces, starts a comment at a ``#``
    after whitespace and strips ``"`` quotes, and a newline would start another option.
    """
    if value is None:
        return value
    text(where, value, PATH_MAX)
    if any(c.isspace() or c in "\"#" for c in value):
        raise TextError("%s = %s must not contain spaces, '#' or '\"': dnsmasq would read it "
                        "differently" % (where, shown(value)))
    return value


def _address(text):
    try:
        return parse_range(text.strip()).first if text.strip() and "/" not in text else None
    except RangeError:
        return None


def parse_line(line):
    """A dict for a ``dhcp-range`` line with an explicit start and end address, or None.

    ``{"tags": [...], "first": IPAddress, "last": IPAddress, "tail": [...]}``; ``tail`` is
    whatever follows the end address (mode, netmask, broadcast, lease time), kept verbatim.
    """
    stripped = line.strip()
    if not stripped.startswith("dhcp-range") or "=" not in stripped:
        return None
    key, dummy, value = stripped.partition("=")
    if key.strip() != "dhcp-range":
        return None
    fields = [f.strip() for f in value.split(",")]
    tags = []
    while fields and fields[0].startswith(_TAG_PREFIXES):
        tags.append(fields.pop(0))
    if len(fields) < 2 or any(f.startswith("constructor:") for f in fields):
        return None
    first, last = _address(fields[0]), _address(fields[1])
    if first is None or last is None or first.version != last.version or first > last:
        return None
    return {"tags": tags, "first": first, "last": last, "tail": fields[2:]}


def render_line(entry):
    return "dhcp-range=" + ",".join(entry["tags"] + [str(entry["first"]), str(entry["last"])]
                                    + entry["tail"])


def plan_text(text, exclude):
    """The file text with every dynamic range split around ``exclude``."""
    out = []
    for line in text.splitlines():
        entry = parse_line(line)
        if entry is None:
            out.append(line)
            continue
        pieces = subtract(entry["first"], entry["last"], exclude)
        if pieces == [(entry["first"], entry["last"])]:
            out.append(line)
            continue
        for first, last in pieces:
            out.append(render_line(dict(entry, first=first, last=last)))
    return "\n".join(out) + ("\n" if out else "")


def ranges_text(text):
    """The dhcp-range lines of a file, normalized, for the diff."""
    return [render_line(e) for e in (parse_line(line) for line in text.splitlines()) if e]


def parse_leases(text, now):
    """Active leases of a dnsmasq lease file: ``[{"ip", "hw_address", "hostname"}]``."""
    leases = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[0] == "duid":
            continue
        expiry = int(fields[0]) if fields[0].isdigit() else 0
        if expiry and expiry < now:
            continue
        ip = _address(fields[2])
        if ip is not None:
            leases.append({"ip": str(ip), "address": ip, "hw_address": fields[1],
                           "hostname": "" if fields[3] == "*" else fields[3]})
    return leases


def _conf_dir_files(value, skip):
    """The files a ``conf-dir=<dir>[,ext...]`` line reads, in dnsmasq's order."""
    parts = [p.strip() for p in value.split(",")]
    directory, wanted = parts[0], [p[1:] for p in parts[1:] if p.startswith("*")]
    unwanted = [p for p in parts[1:] if p and not p.startswith("*")]
    files = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if (name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))
                or not os.path.isfile(path) or os.path.realpath(path) == skip):
            continue
        if wanted and not any(name.endswith(ext) for ext in wanted):
            continue
        if any(name.endswith(ext) for ext in unwanted):
            continue
        files.append(path)
    return files


def test_config(main_text, ranges_file, candidate):
    """A main configuration that reads ``candidate`` where it read ``ranges_file``."""
    target = os.path.realpath(ranges_file)
    for path in [candidate] + _conf_dir_paths(main_text, target):
        check_path("a file dnsmasq --test reads (%s)" % path, path)
    lines, found = [], False
    for line in main_text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == "conf-file" and os.path.realpath(value.strip()) == target:
            lines.append("conf-file=%s" % candidate)
            found = True
        elif sep and key.strip() == "conf-dir":
            lines.extend("conf-file=%s" % path for path in _conf_dir_files(value, target))
            if os.path.dirname(target) == os.path.realpath(value.split(",")[0].strip()):
                lines.append("conf-file=%s" % candidate)
                found = True
        else:
            lines.append(line)
    if not found:
        lines.append("conf-file=%s" % candidate)
    return "\n".join(lines) + "\n"


def _conf_dir_paths(main_text, target):
    """The files the conf-dir lines of a main configuration read (written as conf-file)."""
    paths = []
    for line in main_text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == "conf-dir":
            paths.extend(_conf_dir_files(value, target))
    return paths


class DnsmasqBackend(Backend):
    name = "dnsmasq"

    def __init__(self, module, ranges_file, main_config=None, leases_file=None,
                 backup_dir=None, binary="dnsmasq"):
        for option, value in (("ranges_file", ranges_file), ("main_config", main_config),
                              ("leases_file", leases_file), ("backup_dir", backup_dir)):
            check_path(option, value)
        self.module = module
        self.ranges_file = ranges_file
        self.main_config = main_config
        self.leases_file = leases_file
        self.backup_dir = backup_dir
        self.binary = binary

    def read(self):
        try:
            with open(self.ranges_file) as handle:
                return handle.read()
        except OSError as exc:
            raise ReservationError("cannot read the dnsmasq ranges file %s (ranges_file): %s"
                                   % (self.ranges_file, exc)) from exc

    def plan(self, state, exclude):
        return plan_text(state, exclude)

    def pools_text(self, state):
        return ranges_text(state)

    def conflicts(self, state, exclude):
        if not self.leases_file or not os.path.exists(self.leases_file):
            return []
        with open(self.leases_file) as handle:
            leases = parse_leases(handle.read(), int(time.time()))
        return [dict((k, v) for k, v in lease.items() if k != "address")
                for lease in leases if overlaps(lease["address"], exclude)]

    def _test(self, candidate):
        directory = os.path.dirname(os.path.abspath(self.ranges_file))
        if self.main_config:
            with open(self.main_config) as handle:
                main_text = handle.read()
        else:
            main_text = ""
        fd, main_tmp = tempfile.mkstemp(prefix=".exposure-test-", suffix=".conf~", dir=directory)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(test_config(main_text, self.ranges_file, candidate))
            rc, out, err = self.module.run_command([self.binary, "--test", "--conf-file=%s" % main_tmp])
        finally:
            os.unlink(main_tmp)
        if rc != 0:
            raise ReservationError(
                "dnsmasq --test rejected the new ranges for %s (nothing was changed): %s"
                % (self.ranges_file, (err or out).strip())
            )

    def apply(self, state, desired):
        directory = os.path.dirname(os.path.abspath(self.ranges_file))
        fd, candidate = tempfile.mkstemp(prefix=".exposure-candidate-", suffix="~", dir=directory)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(desired)
            self._test(candidate)
            backup = self.module.backup_local(self.ranges_file)
            os.chmod(backup, 0o600)  # a copy of a configuration file: its owner only
            if self.backup_dir:
                target = os.path.join(self.backup_dir, os.path.basename(backup))
                self.module.atomic_move(backup, target)
                backup = target
            self.module.atomic_move(candidate, self.ranges_file)
        finally:
            if os.path.exists(candidate):
                os.unlink(candidate)
        return {"backup_file": backup, "restart_needed": True}
