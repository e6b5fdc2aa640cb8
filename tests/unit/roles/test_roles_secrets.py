# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""No role puts a secret where Ansible shows it: a fact, a debug message, a failure message or a
loop item.

The site's secrets live in exposure_bgp.password, exposure_ipam.token,
exposure_dhcp.kea.password and exposure_load_balancer.heartbeat_key (or the environment). The
only places that may read those variables are module options marked no_log (masked in the
output) and the address_plan role's split of the secrets (vars/main.yml), which hands them to
the module's no_log option. This reads every task of every role and fails on any other read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

import pytest
import yaml

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles")
# A variable that holds a secret, or a whole variable with a secret inside it (flags such as
# password_set and Kubernetes Secret names such as heartbeat_secret are not secrets).
SECRET_READ = re.compile(
    r"\b(exposure_(bgp|ipam|dhcp|load_balancer)\b(?!\s*\.\s*(backend|dynamic_ranges)\b)"
    r"|[A-Za-z_]*(password|token|secret|heartbeat_key)[A-Za-z_]*\b(?<!_set)(?<!_secret)"
    r"|KEA_API_PASSWORD|NETBOX_TOKEN)")
SHOWN = ("ansible.builtin.set_fact", "set_fact", "ansible.builtin.debug", "debug",
         "ansible.builtin.fail", "fail", "ansible.builtin.assert", "assert")
# Task keywords (the rest of a task is its module and its options).
TASK_KEYWORDS = ("name", "when", "register", "loop", "loop_control", "delegate_to", "run_once",
                 "changed_when", "failed_when", "check_mode", "notify", "block", "rescue",
                 "always", "tags", "vars", "no_log", "delegate_facts", "ignore_errors",
                 "environment", "listen")
# Module options that are no_log in their module (masked wherever they appear).
NO_LOG_OPTIONS = {
    "baremetal.exposure.frr_bgp": ["config"],
    "baremetal.exposure.dhcp_reservation": ["kea_password"],
    "baremetal.exposure.netbox_ip_range": ["netbox_token"],
    "baremetal.exposure.address_plan": ["secrets"],
}


def _tasks(items):
    for task in items or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


def _expressions(value):
    """The Jinja expressions of a task value (what Ansible templates)."""
    text = yaml.safe_dump(value) if not isinstance(value, str) else value
    return re.findall(r"\{\{(.*?)\}\}|\{%(.*?)%\}", text, re.S)


def _reads(value):
    found = []
    for expression in _expressions(value):
        for part in expression:
            found += [m.group(0) for m in SECRET_READ.finditer(part)]
    return found


def _all_tasks():
    for path in sorted(glob.glob(os.path.join(ROLES, "*", "tasks", "*.yml"))
                       + glob.glob(os.path.join(ROLES, "*", "handlers", "*.yml"))):
        with open(path) as handle:
            for task in _tasks(yaml.safe_load(handle)):
                yield os.path.relpath(path, ROLES), task


TASKS = list(_all_tasks())


@pytest.mark.parametrize("path,task", TASKS, ids=["%s: %s" % (p, t.get("name")) for p, t in TASKS])
def test_no_secret_is_read_where_ansible_shows_it(path, task):
    module = next((k for k in task if k not in TASK_KEYWORDS), None)
    shown = dict((key, task[key]) for key in ("loop", "loop_control") if key in task)
    if module in SHOWN:
        shown[module] = task[module]
    elif module is not None and isinstance(task.get(module), dict) and task.get("no_log") is not True:
        # Any other module: a secret only in one of its no_log options, or the whole task
        # no_log (Ansible then hides its arguments, result and any error at every verbosity).
        allowed = NO_LOG_OPTIONS.get(module, [])
        shown.update((key, value) for key, value in task[module].items() if key not in allowed)
    assert _reads(shown) == [], "%s reads a secret where it is shown" % task.get("name")


def test_the_catalogue_sees_the_tasks():
    names = [task.get("name") for dummy, task in TASKS]
    assert "Configure the router's BGP peers and prefix filters" in names
    assert len(TASKS) >= 20
