#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dhcp_reservation
short_description: Keep VIP ranges out of a DHCP server's dynamic pools (Kea or dnsmasq)
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Splits or shrinks the dynamic pools of a DHCP server so that it never hands out an address
    from the excluded ranges (the load balancer's VIP pools). Host reservations are never
    touched.
  - Fails, listing them, when active leases already sit inside the excluded ranges, unless
    O(ignore_existing_leases=true).
  - V(kea) talks to kea-ctrl-agent over HTTP (config-get, config-test, config-set,
    config-write, lease4-get-all from the lease_cmds hook) and compares only the pools of the
    subnets; it can run on the controller. config-set replaces the whole configuration, so
    right before it the configuration is read again (or its hash, when Kea offers
    config-hash-get) and, if someone changed it since it was planned from, nothing is written
    and the module starts over from a fresh read (3 attempts), never undoing their change.
  - V(dnsmasq) rewrites the C(dhcp-range) lines of one file on the dnsmasq host, checks the
    candidate with C(dnsmasq --test) before it replaces the file, keeps a backup and returns
    RV(restart_needed) (dnsmasq reads ranges only at start).
extends_documentation_fragment:
  - baremetal.exposure._attributes
  - baremetal.exposure._connection.kea
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the pools (Kea) or the C(dhcp-range) lines (dnsmasq) before and after.
options:
  backend:
    description: The DHCP server.
    type: str
    choices: [kea, dnsmasq]
    required: true
  exclude:
    description:
      - The ranges to keep out of the pools. Address specs (CIDR, V(first-last), address) or
        dicts with C(first) and C(last), such as the C(ranges) of C(exposure_plan.pools).
    type: list
    elements: raw
    required: true
  ignore_existing_leases:
    description: Reserve even when active leases sit inside the excluded ranges.
    type: bool
    default: false
  backup_dir:
    description:
      - A directory, on the host the module runs on, for a copy of the previous
        configuration (Kea JSON, or the dnsmasq ranges file), readable by its owner only
        (0600). The Kea copy has every secret value (passwords, keys, tokens of databases,
        hooks, TSIG) masked. Without it the dnsmasq backup sits next to the ranges file and
        Kea's pools are only returned (RV(backup)).
    type: path
  service:
    description: Kea only. The Kea service whose pools change.
    type: str
    choices: [dhcp4, dhcp6]
    default: dhcp4
  config_file:
    description:
      - Kea only. The file config-write saves to; by default the one Kea was started with.
    type: path
  ranges_file:
    description:
      - dnsmasq only. The file whose C(dhcp-range) lines this module manages.
      - This path and the other dnsmasq paths must not contain spaces, C(#) or C(\"), which
        dnsmasq would read differently in the C(conf-file=) line of its test configuration.
    type: path
  main_config:
    description:
      - dnsmasq only. dnsmasq's main configuration, used by C(dnsmasq --test) with the
        candidate in place of O(ranges_file).
    type: path
  leases_file:
    description: dnsmasq only. The lease file (C(dhcp-leasefile)), checked for leases inside
      the excluded ranges.
    type: path
requirements:
  - netaddr
notes:
  - The module never returns or writes a credential of the DHCP server's configuration.
"""

EXAMPLES = r"""
- name: Keep the VIP pools out of Kea's pools
  baremetal.exposure.dhcp_reservation:
    backend: kea
    kea_url: http://198.51.100.2:8000/
    kea_username: admin
    kea_password: "{{ kea_password }}"
    exclude: "{{ exposure_plan.pools | map(attribute='ranges') | flatten }}"
  delegate_to: localhost

- name: Keep 198.51.100.180-198.51.100.209 out of dnsmasq's ranges
  baremetal.exposure.dhcp_reservation:
    backend: dnsmasq
    exclude: [198.51.100.180-198.51.100.209]
    ranges_file: /etc/dnsmasq.d/lan.conf
    main_config: /etc/dnsmasq.conf
    leases_file: /var/lib/misc/dnsmasq.leases
  register: reservation
"""

RETURN = r"""
before:
  description: The pools (or C(dhcp-range) lines) before.
  returned: always
  type: list
  elements: str
  sample: ["subnet 198.51.100.0/24 (id 1): pool 198.51.100.100-198.51.100.199"]
after:
  description: The pools (or C(dhcp-range) lines) after (in check mode, what they would be).
  returned: always
  type: list
  elements: str
  sample: ["subnet 198.51.100.0/24 (id 1): pool 198.51.100.100-198.51.100.179"]
leases_in_exclude:
  description: Active leases inside the excluded ranges (only returned on success with
    O(ignore_existing_leases=true)).
  returned: always
  type: list
  elements: dict
  sample: [{ip: 198.51.100.185, hw_address: "02:00:5e:30:00:07", hostname: ""}]
backup:
  description:
    - Kea only. What the module manages, before the change - every subnet's pools (not the
      rest of the configuration, which may hold credentials).
  returned: changed and O(backend=kea)
  type: list
  elements: dict
  sample: [{id: 1, subnet: 198.51.100.0/24, pools: [{pool: 198.51.100.100-198.51.100.199}]}]
attempts:
  description:
    - How many times the module read, planned and (tried to) write. More than 1 when someone
      else changed the Kea configuration between the module's read and its write.
  returned: success
  type: int
  sample: 1
backup_file:
  description: Where the previous configuration was saved.
  returned: changed, with O(backup_dir) for V(kea)
  type: str
restart_needed:
  description: dnsmasq only. The file changed and dnsmasq must restart to use it.
  returned: O(backend=dnsmasq)
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils import _module
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import base, connection
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.dnsmasq import (
    DnsmasqBackend,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.kea import KeaBackend
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.kea_client import KeaClient
from ansible_collections.baremetal.exposure.plugins.module_utils._text import shown, text


def make_backend(module):
    """The backend of the options; raises ExposureError naming a bad or missing option."""
    p = module.params
    if p["backup_dir"] and not os.path.isdir(p["backup_dir"]):
        raise base.ReservationError("backup_dir = %s is not a directory; create it first"
                                    % shown(p["backup_dir"]))
    if p["backend"] == "kea":
        connection.check_kea(p)
        text("config_file", p["config_file"], 4096, required=False)
        client = KeaClient(p["kea_url"], p["kea_username"], p["kea_password"], p["service"],
                           p["kea_validate_certs"], p["kea_timeout"])
        return KeaBackend(client, p["config_file"], p["backup_dir"])
    if not p["ranges_file"]:
        raise base.ReservationError("backend=dnsmasq needs ranges_file (the file with the "
                                    "dhcp-range lines)")
    return DnsmasqBackend(module, p["ranges_file"], p["main_config"], p["leases_file"],
                          p["backup_dir"], module.get_bin_path("dnsmasq", required=True))


def reserve(module):
    backend = make_backend(module)
    result = base.run(backend, module.params["exclude"], module.check_mode,
                      module.params["ignore_existing_leases"])
    if module.params["backend"] == "dnsmasq":
        result.setdefault("restart_needed", result["changed"])
    return result


def main():
    argument_spec = connection.kea_argument_spec()
    argument_spec.update(
        backend=dict(type="str", required=True, choices=["kea", "dnsmasq"]),
        exclude=dict(type="list", elements="raw", required=True),
        ignore_existing_leases=dict(type="bool", default=False),
        backup_dir=dict(type="path"),
        service=dict(type="str", default="dhcp4", choices=["dhcp4", "dhcp6"]),
        config_file=dict(type="path"),
        ranges_file=dict(type="path"),
        main_config=dict(type="path"),
        leases_file=dict(type="path"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    _module.run(module, lambda: reserve(module))


if __name__ == "__main__":
    main()
