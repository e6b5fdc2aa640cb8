# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Verify a LoadBalancer Service from outside inward (docs/verify.md).

PRIVATE to this collection: no compatibility promise outside it.

* ``facts``: what the Kubernetes objects, the plan and the router say, as small plain dicts;
* ``reach``: the checks a LAN host runs (ARP/NDP, TCP connect, HTTP), behind a transport;
* ``router``: FRR's JSON (a route, the BGP summary) as next hops and session states;
* ``diagnose``: collected facts in, the broken step and what to look at out (no I/O);
* ``summary``: the per-site summary (pools used/free, VIPs, announcers, BGP sessions).
"""
