# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The router backend interface: what the frr_bgp module needs from a routing daemon.

A backend reads the running configuration as text, checks a candidate, computes the delta
between the running and a candidate configuration, and applies a candidate without
restarting anything. The FRR backend (_router/frr_apply.py) is the only one so far.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError


class RouterError(ExposureError):
    """A failure to report to the user as is (it names the thing and the fix)."""


class RouterBackend:
    def running_config(self):
        """The running configuration as text."""
        raise NotImplementedError

    def check(self, text):
        """Raise RouterError when the daemon rejects the configuration text."""
        raise NotImplementedError

    def delta(self, text):
        """The commands that would turn the running configuration into `text` (a list)."""
        raise NotImplementedError

    def apply(self, text):
        """Make `text` the running configuration without restarting anything."""
        raise NotImplementedError
