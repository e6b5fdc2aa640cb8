# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.baremetal.exposure.plugins.filter.ranges import FilterModule

with open(os.path.join(os.path.dirname(__file__), "test_ranges.yml")) as _f:
    CASES = yaml.safe_load(_f)

range_to_cidrs = FilterModule().filters()["range_to_cidrs"]


@pytest.mark.parametrize("case", CASES["valid"], ids=[c["id"] for c in CASES["valid"]])
def test_range_to_cidrs(case):
    result = range_to_cidrs(case["input"])
    assert result == case["output"]
    assert all(type(cidr) is str for cidr in result)  # pylint: disable=unidiomatic-typecheck


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["id"] for c in CASES["invalid"]])
def test_range_to_cidrs_error(case):
    with pytest.raises(AnsibleFilterError) as exc:
        range_to_cidrs(case["input"])
    assert case["error"] in str(exc.value)
    assert "range_to_cidrs" in str(exc.value)
