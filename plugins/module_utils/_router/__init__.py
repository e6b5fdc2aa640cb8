# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The router side of BGP (frr_bgp).

PRIVATE to this collection: no compatibility promise outside it. ``base`` is the backend
interface, ``frr_text`` FRR configuration text <-> items, ``frr_model`` structured config <->
items, ``frr_resource`` the resource states, ``frr_apply`` vtysh and frr-reload.py.
"""
