# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils import _deps
from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError


def test_installed_libraries_are_not_missing():
    assert _deps.missing("netaddr") == [] and _deps.netaddr is not None
    _deps.check("netaddr")


def test_a_missing_library_is_named_with_the_fix(monkeypatch):
    monkeypatch.setitem(_deps._IMPORT_ERRORS, "netaddr", "Traceback: no netaddr")
    assert _deps.missing("netaddr", "json") == ["netaddr"]
    with pytest.raises(_deps.MissingLibrary, match="pip install netaddr") as exc:
        _deps.check("netaddr")
    assert isinstance(exc.value, ExposureError)
