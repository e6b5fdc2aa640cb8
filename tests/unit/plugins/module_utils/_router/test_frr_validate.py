# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._router.base import RouterError
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_validate import validate

with open(os.path.join(os.path.dirname(__file__), "test_frr_validate.yml")) as _f:
    DATA = yaml.safe_load(_f)


def _config(case):
    config = copy.deepcopy(DATA["base"])
    *parents, last = case["path"].split(".")
    node = config
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = copy.deepcopy(case["value"])
    return config


@pytest.mark.parametrize("case", DATA["bad"], ids=[c["path"] + "=" + str(c["value"]) for c in DATA["bad"]])
def test_refused(case):
    with pytest.raises(RouterError) as exc:
        validate(_config(case))
    assert case["error"] in str(exc.value)
    assert "nothing was changed" in str(exc.value)


@pytest.mark.parametrize("case", DATA["good"], ids=[c["path"] + "=" + str(c["value"]) for c in DATA["good"]])
def test_accepted(case):
    validate(_config(case))


def test_every_problem_is_reported_at_once():
    config = copy.deepcopy(DATA["base"])
    config["asn"] = 0
    config["neighbors"][0]["description"] = "a\nb"
    config["prefix_lists"][0]["name"] = "has space"
    with pytest.raises(RouterError) as exc:
        validate(config)
    assert len(str(exc.value).splitlines()) == 4, str(exc.value)


def test_the_golden_sites_are_accepted():
    with open(os.path.join(os.path.dirname(__file__), "golden", "sites.yml")) as stream:
        for config in yaml.safe_load(stream).values():
            validate(config)
