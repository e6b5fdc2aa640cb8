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
    CASES = yaml.safe_load(_f)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_diagnosis(case):
    found = diagnose(case["facts"])
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
