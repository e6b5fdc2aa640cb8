# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.baremetal.exposure.plugins.modules import frr_bgp


def _main(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            frr_bgp.main()
    return json.loads(capsys.readouterr().out)


def test_rendered_without_a_router(capsys):
    result = _main(capsys, {"state": "rendered", "config": {
        "asn": 64512,
        "peer_groups": [{"name": "G", "remote_as": "64513", "password": "s3cret",
                         "address_families": [{"afi": "ipv4", "maximum_prefix": {"limit": 9}}]}],
        "prefix_lists": [{"name": "P", "entries": [{"seq": 5, "prefix": "203.0.113.0/26", "ge": 32}]}],
    }})
    assert result["changed"] is False
    assert result["rendered"] == [
        "router bgp 64512", " neighbor G peer-group", " neighbor G remote-as 64513",
        " neighbor G password ********", " address-family ipv4 unicast",
        "  neighbor G activate", "  neighbor G maximum-prefix 9", " exit-address-family", "exit",
        "ip prefix-list P seq 5 permit 203.0.113.0/26 ge 32",
    ]


def test_password_never_in_output(capsys):
    result = _main(capsys, {"state": "rendered", "config": {
        "asn": 1, "neighbors": [{"address": "192.0.2.1", "password": "s3cret"}]}})
    assert "s3cret" not in json.dumps(result)


def test_parsed_needs_running_config(capsys):
    result = _main(capsys, {"state": "parsed"})
    assert result["failed"] is True
    assert "running_config" in result["msg"]


def test_parsed(capsys):
    result = _main(capsys, {"state": "parsed", "running_config":
                            "router bgp 64512\n neighbor 192.0.2.1 remote-as 65000\nexit\n"})
    assert result["parsed"] == {"asn": 64512, "neighbors": [
        {"address": "192.0.2.1", "remote_as": "65000"}]}


def test_parsed_never_returns_a_password(capsys):
    result = _main(capsys, {"state": "parsed", "running_config":
                            "router bgp 64512\n neighbor 192.0.2.1 remote-as 65000\n"
                            " neighbor 192.0.2.1 password not-a-parameter\nexit\n"})
    assert "not-a-parameter" not in json.dumps(result)
    assert result["parsed"]["neighbors"][0]["password"] == "********"
