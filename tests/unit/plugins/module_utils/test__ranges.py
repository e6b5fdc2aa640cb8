# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils import _deps, _errors, _ranges

with open(os.path.join(os.path.dirname(__file__), "test__ranges.yml")) as _f:
    CASES = yaml.safe_load(_f)


def _ids(cases):
    return [str(case["id"]) for case in cases]


@pytest.mark.parametrize("case", CASES["valid"], ids=_ids(CASES["valid"]))
def test_parse_range(case):
    parsed = _ranges.parse_range(case["spec"])
    assert parsed.to_dict() == {
        "spec": case["spec"],
        "first": case["first"],
        "last": case["last"],
        "size": case["size"],
        "cidrs": case["cidrs"],
        "version": case["version"],
    }
    assert _ranges.range_to_cidrs(case["spec"]) == case["cidrs"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=_ids(CASES["invalid"]))
def test_parse_range_error(case):
    with pytest.raises(_ranges.RangeError) as exc:
        _ranges.parse_range(case["spec"])
    message = str(exc.value)
    assert case["error"] in message
    assert repr(case["spec"]) in message, "the error must name the spec"


@pytest.mark.parametrize("case", CASES["overlaps"], ids=_ids(CASES["overlaps"]))
def test_find_overlaps(case):
    ranges = [_ranges.parse_range(spec) for spec in case["specs"]]
    found = [_ranges.describe_overlap(ranges, o) for o in _ranges.find_overlaps(ranges)]
    assert found == case["expected"]


def test_missing_netaddr(monkeypatch):
    monkeypatch.setitem(_deps._IMPORT_ERRORS, "netaddr", "Traceback: no netaddr")
    with pytest.raises(_errors.MissingLibrary, match="netaddr is required"):
        _ranges.parse_range("198.51.100.0/28")
