# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._site import report

from test_site_model import build


def test_report_is_rendered_from_the_plan():
    plan = build({})
    assert report.render(plan) == plan["report_markdown"]


def test_cells_cannot_break_the_table():
    assert report._cell("a|b\nc") == "a\\|b c"


def test_report_lists_pools_and_context_in_address_order():
    text = build({})["report_markdown"]
    lines = text.splitlines()
    assert "| 198.51.100.180-198.51.100.199 | 20 | services | layer2 | services | " \
           "Kubernetes load balancer, site lab, pool services |" in lines
    pools = [line for line in lines if line.startswith("| 198.51.100.2") or line.startswith("| 198.51.100.18")]
    assert pools[0].startswith("| 198.51.100.180") and pools[1].startswith("| 198.51.100.200")
    assert lines.index("| 198.51.100.1 | 1 | gateway of 198.51.100.0/24 |") < \
        lines.index("| 198.51.100.100-198.51.100.179 | 80 | DHCP dynamic range (kea) |")
    assert "| 198.51.100.11 | 1 | node node1 |" in lines
    assert "| 198.51.100.90 | 1 | reserved: printer (Kea host reservation) |" in lines
