# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._verify.diagnose import diagnose

with open(os.path.join(os.path.dirname(__file__), "test_diagnose.yml")) as _f:
    DATA = yaml.safe_load(_f)
CASES = DATA["cases"]


def facts_of(case):
    """The case's base facts with its replacements (`with`, `service_with`, `reach_with`)."""
    facts = dict(DATA[case.get("from", "base")])
    if "service_with" in case:
        facts["service"] = dict(facts["service"], **case["service_with"])
    if "reach_with" in case:
        facts["reach"] = [dict(facts["reach"][0], **case["reach_with"])]
    facts.update(case.get("with") or {})
    return facts


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_diagnosis(case):
    found = diagnose(facts_of(case))
    assert found["ok"] is case.get("ok", False), found["message"]
    assert found["broken_step"] == case.get("broken_step"), found["message"]
    if "broken" in case:
        assert found["broken"] == case["broken"]
    statuses = dict((s["step"], s["status"]) for s in found["steps"])
    for step, status in (case.get("steps") or {}).items():
        assert statuses[int(step)] == status, (step, found["steps"])
    for text in case.get("message", []):
        assert text in found["message"], found["message"]
    assert found["message"].startswith("site lab, Service web/")
