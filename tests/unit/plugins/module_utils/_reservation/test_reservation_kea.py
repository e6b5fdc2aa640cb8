# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import io
import json
import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import base
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.kea import KeaBackend
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.kea_client import KeaClient

with open(os.path.join(os.path.dirname(__file__), "test_reservation_kea.yml")) as _f:
    CASES = yaml.safe_load(_f)
URL = "http://kea.test:8000/"


@pytest.mark.parametrize("case", CASES["plan"], ids=[c["id"] for c in CASES["plan"]])
def test_plan_changes_only_the_pools(case):
    state = {"Dhcp4": {"subnet4": case["subnets"], "valid-lifetime": 3600}, "hash": "x"}
    original = copy.deepcopy(state)
    backend = KeaBackend(KeaClient(URL))
    desired = backend.plan(state, base.parse_excludes(case["exclude"]))
    assert state == original, "plan must not modify the state it read"
    assert [[p["pool"] for p in s["pools"]] for s in desired["Dhcp4"]["subnet4"]] == case["pools"]
    assert "hash" not in desired
    for before, after in zip(original["Dhcp4"]["subnet4"], desired["Dhcp4"]["subnet4"]):
        assert dict(before, pools=None) == dict(after, pools=None)
        for pool in after["pools"]:
            for key, value in (case.get("pool_keys") or {}).items():
                assert pool[key] == value


class FakeAgent:
    """Kea's control agent at the HTTP boundary: records commands, answers from the case."""

    def __init__(self, case):
        self.case = case
        self.pools = [{"pool": p} for p in case["pools"]]
        self.commands = []

    def __call__(self, url, data=None, headers=None, method=None, **kwargs):
        body = json.loads(data)
        command = body["command"]
        self.commands.append(command)
        if command in (self.case.get("fail") or {}):
            answer = self.case["fail"][command]
        elif command == "config-get":
            answer = {"result": 0, "arguments": {"Dhcp4": {"subnet4": [
                {"id": 1, "subnet": "198.51.100.0/24", "pools": copy.deepcopy(self.pools)}]}}}
        elif command == "lease4-get-all":
            answer = self.case["leases"]
        elif command == "config-set":
            self.pools = body["arguments"]["Dhcp4"]["subnet4"][0]["pools"]
            answer = {"result": 0}
        elif command == "config-write":
            answer = {"result": 0, "arguments": {"filename": "/etc/kea/kea-dhcp4.conf"}}
        else:
            answer = {"result": 0}
        return io.BytesIO(json.dumps([answer]).encode())


@pytest.mark.parametrize("case", CASES["http"], ids=[c["id"] for c in CASES["http"]])
def test_http_sequence(case):
    agent = FakeAgent(case)
    backend = KeaBackend(KeaClient(URL, "admin", "secret", transport=agent))
    if "error" in case:
        with pytest.raises(base.ReservationError) as exc:
            base.run(backend, case["exclude"], case.get("check_mode", False))
        assert case["error"] in str(exc.value)
    else:
        result = base.run(backend, case["exclude"], case.get("check_mode", False))
        assert result["changed"] is case["changed"]
    assert agent.commands == case["commands"]
