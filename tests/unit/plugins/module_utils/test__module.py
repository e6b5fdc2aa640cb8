# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils import _deps, _module
from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import RangeError
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.base import ReservationError
from ansible_collections.baremetal.exposure.plugins.module_utils._router.base import RouterError


class Done(Exception):
    pass


class FakeModule:
    def __init__(self, diff=False):
        self._diff = diff
        self.exited = None
        self.failed = None

    def exit_json(self, **result):
        self.exited = result
        raise Done()

    def fail_json(self, **result):
        self.failed = result
        raise Done()


def _run(module, call, libraries=("netaddr",)):
    with pytest.raises(Done):
        _module.run(module, call, libraries)
    return module


def test_result_keeps_the_diff_only_with_diff_mode():
    assert _run(FakeModule(), lambda: {"changed": True, "diff": {}}).exited == {"changed": True}
    assert "diff" in _run(FakeModule(diff=True), lambda: {"changed": True, "diff": {}}).exited


@pytest.mark.parametrize("error", [RangeError("bad"), ReservationError("bad"), RouterError("bad")])
def test_every_error_of_the_collection_fails_the_module_the_same_way(error):
    def call():
        raise error
    assert _run(FakeModule(), call).failed == {"msg": "bad", "changed": False}


def test_error_details_become_result_keys():
    def call():
        raise ExposureError("2 errors", errors=["a", "b"], changed=True)
    assert _run(FakeModule(), call).failed == {"msg": "2 errors", "errors": ["a", "b"], "changed": True}


def test_a_missing_library_fails_the_module_before_the_call(monkeypatch):
    monkeypatch.setitem(_deps._IMPORT_ERRORS, "netaddr", "Traceback: no netaddr")
    module = _run(FakeModule(), lambda: pytest.fail("must not run"))
    assert "netaddr" in module.failed["msg"] and module.failed["exception"] == "Traceback: no netaddr"
