# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import router

with open(os.path.join(os.path.dirname(__file__), "test_router.yml")) as _f:
    CASES = yaml.safe_load(_f)


def _ids(cases):
    return [c["id"] for c in cases]


@pytest.mark.parametrize("case", CASES["route"], ids=_ids(CASES["route"]))
def test_route(case):
    assert router.route(case["output"], case["address"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["route_errors"], ids=_ids(CASES["route_errors"]))
def test_route_errors(case):
    with pytest.raises(router.RouterOutputError, match=case["error"]):
        router.route(case["output"], case["address"])


@pytest.mark.parametrize("case", CASES["sessions"], ids=_ids(CASES["sessions"]))
def test_sessions(case):
    assert router.sessions(case["output"]) == case["expected"]


def test_commands_ask_for_the_host_route():
    assert router.route_command("203.0.113.5") == "show ip route 203.0.113.5/32 json"
    assert router.route_command("2001:db8::5") == "show ipv6 route 2001:db8::5/128 json"
