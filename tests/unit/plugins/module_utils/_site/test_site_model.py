# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._site import model as _site_model

with open(os.path.join(os.path.dirname(__file__), "test_site_model.yml")) as _f:
    CASES = yaml.safe_load(_f)

BAD = [case for case in CASES["bad"] if case.get("unit", True)]


def apply_case(case, base=None):
    """The base site with the case's changes: (site dict for build_plan, other_sites)."""
    base = copy.deepcopy(base or CASES["base"])
    site = base["vars"]
    site.update(copy.deepcopy(case.get("set", {})))
    for key in case.get("unset", []):
        site.pop(key, None)
    if "add_pool" in case:
        site["exposure_pools"].append(copy.deepcopy(case["add_pool"]))
    for key in ("nodes", "routers", "clients"):
        site[key] = copy.deepcopy(case.get(key, base[key]))
    site["nodes_group"] = site.get("exposure_nodes_group", "site_lab_nodes")
    site["group"] = "site_lab"
    other_sites = [case["other_site"]] if "other_site" in case else []
    return site, other_sites


def context(case, base=None):
    """The rest of build_plan's arguments for a case: secrets, environ, inventory_hosts."""
    base = base or CASES["base"]
    environ = dict(base["environ"], **case.get("environ", {}))
    return {"secrets": dict(case.get("secrets", {})),
            "environ": dict((k, v) for k, v in environ.items() if v is not None),
            "inventory_hosts": base["inventory_hosts"]}


def build(case):
    site, other_sites = apply_case(case)
    return _site_model.build_plan(site, other_sites, **context(case))


def _ids(cases):
    return [case["id"] for case in cases]


def _subset(expected, actual, path="plan"):
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert key in actual, "%s has no %s" % (path, key)
            _subset(value, actual[key], "%s.%s" % (path, key))
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        assert len(expected) == len(actual), "%s: %d entries, expected %d" % (path, len(actual), len(expected))
        for index, (exp, act) in enumerate(zip(expected, actual)):
            _subset(exp, act, "%s[%d]" % (path, index))
    else:
        assert expected == actual, "%s = %r, expected %r" % (path, actual, expected)


@pytest.mark.parametrize("case", CASES["good"], ids=_ids(CASES["good"]))
def test_good_site(case):
    plan = build(case)
    _subset(case["expect"], plan)
    assert plan["site"] == "lab"
    assert plan["report_markdown"].startswith("## Site lab: load-balancer address pools\n")


@pytest.mark.parametrize("case", BAD, ids=_ids(BAD))
def test_bad_site(case):
    with pytest.raises(_site_model.SiteModelError) as exc:
        build(case)
    errors = exc.value.errors
    assert any(case["error"] in error for error in errors), "\n".join(errors)
    assert len(errors) == case.get("count", 1), "\n".join(errors)
    for error in errors:
        assert error.startswith("site "), error
    assert str(exc.value) == "\n".join(errors)


SECRET_CASES = [case for case in CASES["good"] + BAD if case.get("secrets")]


@pytest.mark.parametrize("case", SECRET_CASES, ids=_ids(SECRET_CASES))
def test_no_secret_reaches_an_error_or_the_plan(case):
    try:
        text = json.dumps(build(case))
    except _site_model.SiteModelError as exc:
        text = "\n".join(exc.errors)
    for value in case["secrets"].values():
        assert value not in text


def test_catalogue_is_large_and_distinct():
    assert len(CASES["bad"]) >= 30
    assert len(set(case["id"] for case in CASES["bad"])) == len(CASES["bad"])
    assert len(set(case["error"] for case in CASES["bad"])) == len(CASES["bad"])


def test_all_errors_are_reported_at_once():
    site, other_sites = apply_case({})
    site["exposure_site"] = "Bad Name"
    site["exposure_pools"].append({"name": "apps", "addresses": ["198.51.100.120", "junk"]})
    site["exposure_dhcp"]["backend"] = "isc"
    with pytest.raises(_site_model.SiteModelError) as exc:
        _site_model.build_plan(site, other_sites, **context({}))
    assert len(exc.value.errors) == 4, exc.value.errors


def test_site_must_be_a_dict():
    with pytest.raises(_site_model.SiteModelError, match="must be a dict"):
        _site_model.build_plan(["lab"])


def test_other_sites_with_bad_specs_are_skipped():
    site, dummy = apply_case({})
    plan = _site_model.build_plan(site, [{"name": "b", "pools": [{"name": "x", "addresses": ["junk"]}]}, "x"],
                                  **context({}))
    assert plan["site"] == "lab"
