# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._site import fields as f

with open(os.path.join(os.path.dirname(__file__), "test_site_fields.yml")) as _f:
    CASES = yaml.safe_load(_f)["cases"]


def _check(spec):
    if isinstance(spec, str):
        return getattr(f, spec)
    name, args = spec[0], spec[1:]
    if name == "integer" and len(args) == 3:
        return f.integer(args[0], args[1], also=tuple(args[2]))
    return getattr(f, name)(*args)


@pytest.mark.parametrize("case", CASES, ids=["%s-%r" % (c["check"], c["value"]) for c in CASES])
def test_check(case):
    check = _check(case["check"])
    if "error" in case:
        with pytest.raises(f.FieldError) as exc:
            check("x.y", case["value"])
        assert case["error"] in str(exc.value)
    else:
        assert check("x.y", case["value"]) == case["expect"]


def test_section_fills_defaults_and_reports_unknown_keys_and_bad_values():
    errors = f.Errors("lab")
    table = {"manage": (f.boolean, True), "timeout": (f.integer(1, 9), 5)}
    result = f.section(errors, "exposure_x", {"manage": "no", "timout": 3, "timeout": 10}, table)
    assert result == {"manage": False, "timeout": 5}
    assert errors.items == [
        "site lab: exposure_x has an unknown key 'timout'; did you mean 'timeout'?",
        "site lab: exposure_x.timeout = 10 must be an integer from 1 to 9"]


def test_section_of_nothing_is_every_default_and_of_a_string_an_error():
    errors = f.Errors("lab")
    assert f.section(errors, "exposure_x", None, {"a": (f.boolean, True)}) == {"a": True}
    assert f.section(errors, "exposure_x", "yes", {"a": (f.boolean, True)}) is None
    assert errors.items == ["site lab: exposure_x must be a dict, got str"]
