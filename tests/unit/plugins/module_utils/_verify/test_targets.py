# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import targets

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "test_targets.yml")) as _f:
    CASES = yaml.safe_load(_f)
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))


def _ids(cases):
    return [c["id"] for c in cases]


@pytest.mark.parametrize("case", CASES["targets"], ids=_ids(CASES["targets"]))
def test_targets(case):
    plan = dict(CASES["plan"], **(case.get("plan_with") or {}))
    assert targets.verify_targets(plan, case.get("services")) == case["expected"]


@pytest.mark.parametrize("case", CASES["target_errors"], ids=_ids(CASES["target_errors"]))
def test_target_errors(case):
    plan = dict(CASES["plan"], verify={"services": case["services"]})
    with pytest.raises(targets.TargetError) as exc:
        targets.verify_targets(plan)
    assert "site lab: " + case["error"] in str(exc.value)


@pytest.mark.parametrize("case", CASES["checks"], ids=_ids(CASES["checks"]))
def test_checks(case):
    assert targets.vip_checks(case["service"], CASES["plan"], case["target"]) == case["expected"]


def test_ingress_services_match_the_ingress_role():
    """The verify role looks for the Service the ingress role creates: same names."""
    path = os.path.join(ROOT, "roles", "ingress", "vars", "main.yml")
    defaults = os.path.join(ROOT, "roles", "ingress", "defaults", "main.yml")
    if not os.path.exists(path):
        pytest.skip("no ingress role in this tree")
    with open(path) as handle:
        services = yaml.safe_load(handle)["__ingress_services"]
    with open(defaults) as handle:
        namespaces = yaml.safe_load(handle)["ingress_controller_defaults"]
    for controller, known in targets.INGRESS_SERVICES.items():
        assert services[controller]["name"] == known["name"], controller
        assert namespaces[controller]["namespace"] == known["namespace"], controller
