# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The site model: one site's variables -> the normalized plan (docs/site-model.md).

PRIVATE to this collection: no compatibility promise outside it. ``model`` parses and builds
the plan, ``checks`` runs the checks between parsed things, ``report`` renders the Markdown
report.
"""
