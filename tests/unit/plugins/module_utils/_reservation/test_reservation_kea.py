# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
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
    """Kea's control agent at the HTTP boundary: records commands, answers from the case.

    Its configuration holds a database password, which nothing may return or write in clear.
    """

    def __init__(self, case):
        self.case = case
        self.config = {"Dhcp4": {
            "subnet4": [{"id": 1, "subnet": "198.51.100.0/24",
                         "pools": [{"pool": p} for p in case["pools"]]}],
            "valid-lifetime": 3600,
            "lease-database": {"type": "mysql", "name": "kea", "password": "db-secret-1"}}}
        self.edits_left = case.get("concurrent_edits", 0)
        self.commands = []

    def _hash(self):
        return hashlib.sha256(json.dumps(self.config, sort_keys=True).encode()).hexdigest()

    def __call__(self, url, data=None, headers=None, method=None, **kwargs):
        body = json.loads(data)
        command = body["command"]
        self.commands.append(command)
        if command == "config-test" and self.edits_left:
            # Someone else's change, landing between our read and our write.
            self.edits_left -= 1
            self.config["Dhcp4"]["valid-lifetime"] += 1
        if command in (self.case.get("fail") or {}):
            answer = self.case["fail"][command]
        elif command == "config-get":
            arguments = copy.deepcopy(self.config)
            if self.case.get("hash"):
                arguments["hash"] = self._hash()
            answer = {"result": 0, "arguments": arguments}
        elif command == "config-hash-get":
            answer = {"result": 0, "arguments": {"hash": self._hash()}}
        elif command == "lease4-get-all":
            answer = self.case["leases"]
        elif command == "config-set":
            assert "hash" not in body["arguments"]
            self.config = copy.deepcopy(body["arguments"])
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
        assert result["attempts"] == case.get("attempts", 1)
    assert agent.commands == case["commands"]
    assert agent.config["Dhcp4"]["valid-lifetime"] == case.get("valid_lifetime", 3600)


def test_backup_is_only_the_pools_and_the_file_is_private_and_masked(tmp_path):
    agent = FakeAgent({"pools": ["198.51.100.100-198.51.100.199"],
                       "leases": {"result": 3, "text": "0 IPv4 lease(s) found."}})
    backend = KeaBackend(KeaClient(URL, "admin", "secret", transport=agent),
                         backup_dir=str(tmp_path))
    result = base.run(backend, ["198.51.100.180-198.51.100.209"])
    assert result["backup"] == [{"id": 1, "subnet": "198.51.100.0/24",
                                 "pools": [{"pool": "198.51.100.100-198.51.100.199"}]}]
    assert "db-secret-1" not in json.dumps(result)
    path = result["backup_file"]
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    saved = json.loads(open(path).read())
    assert saved["Dhcp4"]["lease-database"] == {"type": "mysql", "name": "kea", "password": "********"}
    assert saved["Dhcp4"]["subnet4"][0]["pools"] == [{"pool": "198.51.100.100-198.51.100.199"}]
