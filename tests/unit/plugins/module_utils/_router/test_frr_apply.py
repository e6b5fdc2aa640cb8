# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils._router.base import RouterError
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_apply import (
    FrrBackend,
    parse_reload_test,
)

# frr-reload.py 8.4 --test --stdout, as the lab printed it (exit code 0).
OUTPUT = """2026-11-22 23:31:07,704  INFO: Called via "Namespace(...)"

Lines To Delete
===============
no hostname vm
router bgp 64512
 no neighbor 198.51.100.13 description node3

Lines To Add
============
router bgp 64512
 neighbor CLUSTER peer-group
router bgp 64512
 address-family ipv4 unicast
router bgp 64512
 address-family ipv4 unicast
  maximum-paths 8
ip prefix-list P seq 5 permit 203.0.113.0/26 ge 32
"""


def test_parse_reload_test_folds_headers_and_ignores_hostname():
    assert parse_reload_test(OUTPUT) == [
        "router bgp 64512", " no neighbor 198.51.100.13 description node3",
        "router bgp 64512", " neighbor CLUSTER peer-group", " address-family ipv4 unicast",
        "  maximum-paths 8", "ip prefix-list P seq 5 permit 203.0.113.0/26 ge 32",
    ]


def test_only_hostname_is_no_delta():
    assert parse_reload_test("\nLines To Delete\n===============\nno hostname vm\n") == []


def test_commands_point_at_the_instance(tmp_path):
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "Lines To Add\n============\nip forwarding\n", ""
    backend = FrrBackend(run, vty_socket="/run/x", config_dir="/run/x", tmpdir=str(tmp_path))
    assert backend.delta("ip forwarding\n") == ["ip forwarding"]
    assert calls[0][:4] == ["python3", "/usr/lib/frr/frr-reload.py", "--test", "--stdout"]
    assert "--vty_socket" in calls[0] and "/run/x" in calls[0]
    assert list(tmp_path.iterdir()) == []


def test_vtysh_failure_names_the_paths(tmp_path):
    backend = FrrBackend(lambda argv: (1, "", "vtysh: no daemon"), vty_socket="/run/x",
                         tmpdir=str(tmp_path))
    with pytest.raises(RouterError, match="vty_socket \\(/run/x\\)"):
        backend.running_config()
    with pytest.raises(RouterError, match="rejects the candidate"):
        backend.check("bogus\n")


def test_bare_block_headers_are_no_delta():
    output = "Lines To Add\n============\nrouter bgp 1\n address-family ipv4 unicast\n"
    assert parse_reload_test(output) == []


def test_candidate_files_are_private_and_removed(tmp_path):
    modes = []

    def run(argv):
        modes.append(oct(os.stat(argv[-1]).st_mode & 0o777))
        return 0, "", ""
    backend = FrrBackend(run, tmpdir=str(tmp_path))
    backend.check(" neighbor G password s3cret\n")
    backend.delta(" neighbor G password s3cret\n")
    assert modes == ["0o600", "0o600"], "the candidate holds passwords: owner only"
    assert list(tmp_path.iterdir()) == []
