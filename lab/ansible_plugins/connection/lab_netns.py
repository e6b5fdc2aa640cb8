# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run tasks inside a lab network namespace, as if Ansible had reached that host over SSH.

Lab-only (not shipped with the collection): the lab's hosts are namespaces of this machine, so
files are already shared and only commands need to enter the namespace. On a real site the same
tasks run over the ordinary ssh connection.
"""

from __future__ import annotations

import shlex

from ansible.plugins.connection.local import Connection as LocalConnection

DOCUMENTATION = """
name: lab_netns
short_description: run commands inside a network namespace of this machine
description:
  - The local connection, with every command wrapped in C(ip netns exec NAME).
author: baremetal.exposure contributors (@baremetal-exposure)
options:
  netns:
    description: The network namespace to enter.
    type: str
    required: true
    vars:
      - name: exposure_lab_netns
"""


class Connection(LocalConnection):
    transport = "lab_netns"

    def exec_command(self, cmd, in_data=None, sudoable=True):
        netns = self.get_option("netns")
        wrapped = f"ip netns exec {shlex.quote(netns)} /bin/sh -c {shlex.quote(cmd)}"
        return super().exec_command(wrapped, in_data=in_data, sudoable=sudoable)
