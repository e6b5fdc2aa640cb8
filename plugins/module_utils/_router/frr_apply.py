# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The FRR backend: vtysh and frr-reload.py, run through a command runner.

`run(argv)` returns `(rc, stdout, stderr)`; the module passes AnsibleModule.run_command, the
unit tests a scripted fake. Nothing here restarts a daemon.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import tempfile

from ansible_collections.baremetal.exposure.plugins.module_utils._router.base import (
    RouterBackend,
    RouterError,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._text import MASK

# Lines frr-reload.py always reports although they never reach the daemons (see NOTES).
_IGNORED = re.compile(r"^(no )?hostname ")
_PASSWORD = re.compile(r"( password )\S+")


def mask(text):
    """FRR text or output with every password replaced (a password is one word)."""
    return _PASSWORD.sub(r"\1" + MASK, text)


def parse_reload_test(output):
    """Commands from `frr-reload.py --test` output (it exits 0 whether or not there is a delta).

    Each section repeats the enclosing block headers before every line; those repeats are
    folded so the result reads like a list of vtysh commands.
    """
    commands = []
    section = None
    stack = []
    lines = output.splitlines()
    for raw in lines:
        if raw.strip() in ("Lines To Delete", "Lines To Add"):
            section = raw.strip()
            stack = []
            continue
        if section is None or not raw.strip() or set(raw.strip()) == set("=") or " INFO: " in raw:
            continue
        if re.match(r"^\d{4}-\d\d-\d\d ", raw):
            continue
        depth = len(raw) - len(raw.lstrip())
        line = raw.strip()
        if _IGNORED.match(line):
            continue
        if len(stack) > depth and stack[depth] == line:
            continue
        stack = stack[:depth] + [line]
        commands.append(raw.rstrip())
    return _drop_bare_headers(commands)


def _drop_bare_headers(commands):
    """Block headers left with nothing under them (e.g. an empty address-family) are no-ops."""
    kept = []
    for index, command in enumerate(commands):
        stripped = command.strip()
        depth = len(command) - len(command.lstrip())
        following = commands[index + 1] if index + 1 < len(commands) else None
        has_body = following is not None and len(following) - len(following.lstrip()) > depth
        if not has_body and (stripped.startswith("address-family ") or
                             stripped.startswith("router bgp ")):
            continue
        kept.append(command)
    # Dropping an address-family may leave its router bgp bare: once more.
    return kept if kept == commands else _drop_bare_headers(kept)


class FrrBackend(RouterBackend):
    def __init__(self, run, vty_socket="/var/run/frr", config_dir="/etc/frr",
                 reload_script="/usr/lib/frr/frr-reload.py", vtysh="vtysh", bindir="/usr/bin",
                 python="python3", tmpdir=None):
        self.run = run
        self.vty_socket = vty_socket
        self.config_dir = config_dir
        self.reload_script = reload_script
        self.vtysh_path = vtysh
        self.bindir = bindir
        self.python = python
        self.tmpdir = tmpdir

    def _vtysh(self, *args):
        argv = [self.vtysh_path, "--vty_socket", self.vty_socket, "--config_dir", self.config_dir]
        return argv + list(args)

    def _call(self, argv, what):
        rc, out, err = self.run(argv)
        if rc != 0:
            raise RouterError("%s failed (rc=%s): %s %s. Check that FRR runs and that vty_socket "
                              "(%s) and config_dir (%s) point at it." % (
                                  what, rc, mask(err or "").strip(), mask(out or "").strip(),
                                  self.vty_socket, self.config_dir))
        return out

    def _file(self, text):
        # The candidate holds the peers' passwords: mkstemp's 0600, read by vtysh and
        # frr-reload.py running as this same user.
        handle, path = tempfile.mkstemp(prefix="frr_bgp-", suffix=".conf", dir=self.tmpdir)
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        return path

    def _reload(self, mode, text):
        path = self._file(text)
        try:
            return self._call([self.python, self.reload_script, mode, "--stdout", "--bindir",
                               self.bindir, "--confdir", self.config_dir, "--rundir",
                               self.vty_socket, "--vty_socket", self.vty_socket, path],
                              "frr-reload.py %s" % mode)
        finally:
            os.unlink(path)

    def running_config(self):
        return self._call(self._vtysh("-c", "show running-config"), "vtysh show running-config")

    def check(self, text):
        path = self._file(text)
        try:
            rc, out, err = self.run(self._vtysh("-C", "-f", path))
        finally:
            os.unlink(path)
        if rc != 0:
            raise RouterError("FRR rejects the candidate configuration (vtysh -C): %s" % mask(
                (out or "") + (err or "")).strip())

    def delta(self, text):
        return parse_reload_test(self._reload("--test", text))

    def apply(self, text):
        self._reload("--reload", text)
