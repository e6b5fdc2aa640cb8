# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reservation backends: keep VIP ranges out of a DHCP server's (or an IPAM's) pools.

PRIVATE to this collection: no compatibility promise outside it. ``base`` holds the backend
interface, the pure range arithmetic and the runner; one module per backend (``kea``,
``dnsmasq``, ``netbox``), with its HTTP client beside it (``kea_client``, ``netbox_client``).
"""
