# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._router import frr_resource
from ansible_collections.baremetal.exposure.plugins.module_utils._router.base import (
    RouterBackend,
    RouterError,
)

with open(os.path.join(os.path.dirname(__file__), "test_frr_resource.yml")) as _f:
    DATA = yaml.safe_load(_f)
RUNNING = DATA["running"]
WANT = {"asn": 64512, "neighbors": [{"address": "198.51.100.11", "description": "node1"}]}


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["id"] for c in DATA["cases"]])
def test_candidate(case):
    assert frr_resource.candidate(RUNNING, case["config"], case["state"]) == case["candidate"]


def test_other_asn_is_refused():
    with pytest.raises(RouterError, match="config.asn is 65000 but the router runs BGP AS 64512"):
        frr_resource.candidate(RUNNING, {"asn": 65000}, "merged")


class FakeBackend(RouterBackend):
    """Scripted backend: a running config, a delta per call, optional failure on apply."""

    def __init__(self, deltas, fail_apply=False):
        self.running = RUNNING
        self.deltas = list(deltas)
        self.applied = []
        self.fail_apply = fail_apply

    def running_config(self):
        return self.running

    def check(self, text):
        self.checked = text

    def delta(self, text):
        return self.deltas.pop(0)

    def apply(self, text):
        self.applied.append(text)
        if self.fail_apply and len(self.applied) == 1:
            raise RouterError("frr-reload.py --reload failed (rc=1)")


def test_no_delta_is_no_change():
    backend = FakeBackend([[]])
    result = frr_resource.run(backend, "merged", WANT)
    assert result["changed"] is False and backend.applied == []
    assert result["before"] == result["after"]


def test_check_mode_reports_without_applying():
    backend = FakeBackend([["router bgp 64512", " neighbor 198.51.100.11 description node1"]])
    result = frr_resource.run(backend, "merged", WANT, check_mode=True)
    assert result["changed"] is True and backend.applied == []
    after = dict((n["address"], n) for n in result["after"]["neighbors"])
    assert after["198.51.100.11"]["description"] == "node1"
    assert after["198.51.100.11"]["timers"] == {"keepalive": 3, "holdtime": 9}


def test_apply_then_confirm():
    backend = FakeBackend([["x"], []])
    result = frr_resource.run(backend, "merged", WANT)
    assert result["changed"] is True and len(backend.applied) == 1


def test_leftover_delta_restores_and_fails():
    backend = FakeBackend([["x"], [" neighbor 198.51.100.11 password secret"]])
    with pytest.raises(RouterError) as exc:
        frr_resource.run(backend, "merged", WANT)
    assert "the previous configuration was restored" in str(exc.value)
    assert "secret" not in str(exc.value)
    assert len(backend.applied) == 2 and "description old" in backend.applied[1]


def test_failed_reload_restores_and_fails():
    backend = FakeBackend([["x"]], fail_apply=True)
    with pytest.raises(RouterError, match="--reload failed.*previous configuration was restored"):
        frr_resource.run(backend, "merged", WANT)


def test_deleted_needs_config():
    with pytest.raises(RouterError, match="state=deleted needs config"):
        frr_resource.run(FakeBackend([]), "deleted", {})


def test_rendered_and_parsed_need_no_backend():
    rendered = frr_resource.run(None, "rendered", WANT)["rendered"]
    assert rendered == ["router bgp 64512", " neighbor 198.51.100.11 description node1", "exit"]
    parsed = frr_resource.run(None, "parsed", running_config=RUNNING)["parsed"]
    assert parsed["neighbors"][0] == {"address": "192.0.2.99", "remote_as": "65099",
                                      "address_families": [{"afi": "ipv4", "activate": True}]}


# A running configuration holding passwords the module was not given (another peer's, or the
# old one of a peer being changed): no state may return them.
RUNNING_WITH_PASSWORDS = RUNNING + (
    "router bgp 64512\n neighbor 192.0.2.77 remote-as 65077\n"
    " neighbor 192.0.2.77 password other-peers-secret\nexit\n")


@pytest.mark.parametrize("state", ["gathered", "merged", "parsed"])
def test_no_state_returns_a_running_password(state):
    backend = FakeBackend([["x"], []])
    backend.running = RUNNING_WITH_PASSWORDS
    result = frr_resource.run(backend, state, WANT, running_config=RUNNING_WITH_PASSWORDS,
                              check_mode=True)
    assert "other-peers-secret" not in repr(result)
    peers = (result.get("gathered") or result.get("parsed") or result["before"])["neighbors"]
    assert [p["password"] for p in peers if "password" in p] == ["********"]
