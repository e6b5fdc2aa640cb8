# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import parse_range
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import base

with open(os.path.join(os.path.dirname(__file__), "test_reservation_base.yml")) as _f:
    CASES = yaml.safe_load(_f)


@pytest.mark.parametrize("case", CASES["subtract"], ids=[c["id"] for c in CASES["subtract"]])
def test_subtract(case):
    pool = parse_range(case["pool"])
    exclude = [parse_range(spec) for spec in case["exclude"]]
    pieces = base.subtract(pool.first, pool.last, exclude)
    assert ["%s-%s" % piece for piece in pieces] == case["pieces"]


def test_parse_excludes_takes_plan_ranges_and_specs():
    ranges = base.parse_excludes([{"first": "198.51.100.200", "last": "198.51.100.209", "version": 4},
                                  "203.0.113.0/26"])
    assert [(str(r.first), str(r.last)) for r in ranges] == [
        ("198.51.100.200", "198.51.100.209"), ("203.0.113.0", "203.0.113.63")]


@pytest.mark.parametrize("spec,error", [
    ({"first": "198.51.100.1"}, "exclude[0]"),
    ("198.51.100.9-198.51.100.1", "exclude[0]: invalid address spec"),
])
def test_parse_excludes_names_the_bad_entry(spec, error):
    with pytest.raises(base.ReservationError) as exc:
        base.parse_excludes([spec])
    assert error in str(exc.value)


class FakeBackend(base.Backend):
    name = "fake"

    def __init__(self, pools, leases=()):
        self.pools = pools
        self.leases = list(leases)
        self.applied = None

    def read(self):
        return list(self.pools)

    def plan(self, state, exclude):
        out = []
        for spec in state:
            rng = parse_range(spec)
            out.extend("%s-%s" % p for p in base.subtract(rng.first, rng.last, exclude))
        return out

    def pools_text(self, state):
        return list(state)

    def conflicts(self, state, exclude):
        return [{"ip": ip} for ip in self.leases if base.overlaps(parse_range(ip).first, exclude)]

    def apply(self, state, desired):
        self.applied = desired
        self.pools = desired
        return {"applied": True}


def test_run_applies_then_is_idempotent():
    backend = FakeBackend(["198.51.100.100-198.51.100.199"])
    first = base.run(backend, ["198.51.100.180-198.51.100.209"])
    assert first["changed"] and first["applied"]
    assert first["diff"]["after"] == "198.51.100.100-198.51.100.179\n"
    second = base.run(backend, ["198.51.100.180-198.51.100.209"])
    assert not second["changed"] and "applied" not in second


def test_run_check_mode_applies_nothing():
    backend = FakeBackend(["198.51.100.100-198.51.100.199"])
    result = base.run(backend, ["198.51.100.180-198.51.100.209"], check_mode=True)
    assert result["changed"] and backend.applied is None


def test_run_fails_on_leases_unless_ignored():
    backend = FakeBackend(["198.51.100.100-198.51.100.199"], leases=["198.51.100.185", "198.51.100.120"])
    with pytest.raises(base.ReservationError) as exc:
        base.run(backend, ["198.51.100.180-198.51.100.209"])
    assert "198.51.100.185" in str(exc.value) and "198.51.100.120" not in str(exc.value)
    assert backend.applied is None
    result = base.run(backend, ["198.51.100.180-198.51.100.209"], ignore_existing_leases=True)
    assert result["leases_in_exclude"] == [{"ip": "198.51.100.185"}] and backend.applied
