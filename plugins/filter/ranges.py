# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters over address specs (CIDR, first-last range, single address).

The documentation of each filter is in the YAML file of the same name next to this one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import range_to_cidrs as _range_to_cidrs


def range_to_cidrs(spec):
    """The minimal list of CIDRs covering an address spec."""
    try:
        return _range_to_cidrs(spec)
    except ExposureError as exc:  # a bad spec, or netaddr missing
        raise AnsibleFilterError("range_to_cidrs: %s" % exc) from None


class FilterModule:
    """Address spec filters."""

    def filters(self):
        return {
            "range_to_cidrs": range_to_cidrs,
        }
