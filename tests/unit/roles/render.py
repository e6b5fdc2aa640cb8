# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Render role expressions the way a play does, in a process of its own.

test_role_templates.py runs this script with a JSON list of requests on stdin
({key, role, expression, plan, extra}) and reads {key: result} (or {key: {"error": ...}}) on
stdout. A process of its own, because the collection loader must be installed before anything
imports ansible_collections (the other unit tests do), and because loading controller code
turns module warnings into controller warnings for the rest of the process.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROOT = os.path.abspath(os.path.join(COLLECTION, "..", "..", ".."))


def main():
    from ansible.plugins.loader import init_plugin_loader

    init_plugin_loader([ROOT])
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    results = {}
    for request in json.load(sys.stdin):
        role_dir = os.path.join(COLLECTION, "roles", request["role"])
        loader = DataLoader()
        variables = {}
        for name in ("defaults/main.yml", "vars/main.yml"):
            variables.update(loader.load_from_file(os.path.join(role_dir, name),
                                                   trusted_as_template=True) or {})
        variables.update(exposure_plan=request["plan"], ansible_search_path=[role_dir],
                         ansible_check_mode=False)
        variables.update(request.get("extra") or {})
        try:
            rendered = Templar(loader=loader, variables=variables).template(
                trust_as_template(request["expression"]))
            results[request["key"]] = json.loads(json.dumps(rendered))
        except Exception as exc:  # reported to the test, which shows it
            results[request["key"]] = {"error": "%s: %s" % (type(exc).__name__, exc)}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
