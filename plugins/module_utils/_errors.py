# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The root of every error the collection's module_utils raise.

PRIVATE to this collection: no compatibility promise outside it.

Each concern keeps its own error class (RangeError, SiteModelError, ReservationError,
NetBoxError, RouterError, ProbeError, ...), all derived from ``ExposureError``, so a module
reports any of them the same way (``_module.run``). A message names the thing, the variable
and the fix, and never carries a secret's value. ``details`` are extra result keys (e.g. the
list of every error of a site).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ExposureError(Exception):
    """A failure to report to the user as is."""

    def __init__(self, message="", **details):
        super().__init__(message)
        self.details = details


class MissingLibrary(ExposureError):
    """A Python library the code needs is not installed where it runs."""
