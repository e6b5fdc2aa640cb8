#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vip_check
short_description: Check a LoadBalancer VIP from a LAN host (ARP/NDP, TCP, HTTP)
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Runs on a host of the LAN (a client, a node or the router) the checks an operator would run
    by hand against a LoadBalancer VIP, and reports what it saw; it decides nothing (see
    M(baremetal.exposure.lb_diagnose)).
  - O(resolve) asks who has each address the way an ordinary client does, an ARP request from
    this host's own IPv4 address or a Neighbor Solicitation from its own IPv6 address, over raw
    sockets, and reports every MAC that answered. Unlike an ARP probe (sender 0.0.0.0), such a
    request is not mistaken by the speaker for another host claiming the address.
  - O(connect) opens and closes a TCP connection to each address and port.
  - O(http) sends one GET to each address and port, without any proxy.
  - Read-only, C(changed) is always V(false); check mode runs the checks too.
extends_documentation_fragment:
  - baremetal.exposure._attributes
  - baremetal.exposure._attributes.INFO_MODULE
options:
  resolve:
    description:
      - Addresses to resolve (VIPs, and node addresses to learn their MACs).
      - An address outside every subnet of this host's interface is not resolved, and RV(unresolved) says why.
      - Needs root or CAP_NET_RAW and the C(ip) command.
    type: list
    elements: str
    default: []
  interface:
    description:
      - The link to resolve on. Default is the interface whose subnets hold the most addresses.
    type: str
  connect:
    description: TCP connections to open.
    type: list
    elements: dict
    default: []
    suboptions:
      address: &vip_address
        description: The address (the VIP).
        type: str
        required: true
      port:
        description: The TCP port.
        type: int
        required: true
  http:
    description: GET requests to send.
    type: list
    elements: dict
    default: []
    suboptions:
      address: *vip_address
      port:
        description: The TCP port.
        type: int
        default: 80
      path:
        description: The path, starting with C(/).
        type: str
        default: /
      host:
        description: The Host header; default is the address.
        type: str
  expect_status:
    description: The HTTP status every GET must return for RV(ok) to be true.
    type: int
  expect_body:
    description: A text every GET's body must contain for RV(ok) to be true.
    type: str
  timeout:
    description: Seconds for each TCP connection and HTTP request.
    type: float
    default: 5.0
  resolve_retries:
    description: Requests sent again to each address still silent, after the first.
    type: int
    default: 2
  resolve_timeout:
    description: Seconds to listen for answers after the last request.
    type: float
    default: 0.5
notes:
  - The result is what this host sees. A host on another LAN or VLAN than the VIP cannot
    resolve it; use a host on the VIP's LAN (layer 2), or one behind the router (BGP).
requirements:
  - Linux, root or CAP_NET_RAW for O(resolve)
seealso:
  - module: baremetal.exposure.lb_diagnose
  - module: baremetal.exposure.address_probe
"""

EXAMPLES = r"""
- name: Check the ingress VIP from the LAN client
  baremetal.exposure.vip_check:
    resolve: [198.51.100.200, 198.51.100.11, 198.51.100.12]
    connect: [{address: 198.51.100.200, port: 80}]
    http: [{address: 198.51.100.200, port: 80, path: /, host: demo.example.test}]
    expect_status: 200
  become: true
  delegate_to: client1
  register: reach
"""

RETURN = r"""
interface:
  description: The interface resolved on (null when nothing was resolved).
  returned: always
  type: str
  sample: eth0
answers:
  description: Each resolved address with the MACs that answered (an empty list when none did).
  returned: always
  type: dict
  sample: {"198.51.100.200": ["02:00:5e:10:00:0c"], "198.51.100.11": ["02:00:5e:10:00:0b"]}
unresolved:
  description: Addresses not resolved, with the reason.
  returned: always
  type: dict
  sample: {"203.0.113.5": "not on a subnet of eth0 (not on-link from this host)"}
connects:
  description: One entry per TCP connection.
  returned: always
  type: list
  elements: dict
  sample: [{"address": "198.51.100.200", "port": 80, "ok": false, "error": "refused",
            "detail": "[Errno 111] Connection refused", "seconds": 0.002}]
http:
  description: One entry per GET, with C(url), C(status), C(body) (cut at 4096 characters),
    C(error), C(detail) and C(seconds).
  returned: always
  type: list
  elements: dict
ok:
  description: Every resolved address answered, every connection opened and every GET
    answered as expected.
  returned: always
  type: bool
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import (
    ProbeError,
    parse_links,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._verify import reach
from ansible_collections.baremetal.exposure.plugins.module_utils._verify.facts import ip


def run(params, links, resolver=reach.resolve, connector=reach.connect, getter=reach.http_get):
    """The checks; ``resolver``, ``connector`` and ``getter`` are replaced in the tests."""
    result = {"changed": False, "interface": None, "answers": {}, "unresolved": {}}
    if params["resolve"]:
        try:
            found = resolver(links, params["resolve"], interface=params["interface"],
                             retries=params["resolve_retries"], timeout=params["resolve_timeout"])
        except ProbeError as exc:  # raw sockets refused (not root), a vanished link
            found = {"interface": params["interface"], "answers": {},
                     "unresolved": dict((a, str(exc)) for a in params["resolve"])}
        result.update(found)
    result["connects"] = [connector(c["address"], c["port"], params["timeout"])
                          for c in params["connect"]]
    result["http"] = [getter(h["address"], h["port"], h["path"], h["host"], params["timeout"])
                      for h in params["http"]]
    result["ok"] = (all(result["answers"].get(a) for a in result["answers"])
                    and all(c["ok"] for c in result["connects"])
                    and all(reach.http_matches(h, params["expect_status"], params["expect_body"])
                            for h in result["http"]))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            resolve=dict(type="list", elements="str", default=[]),
            interface=dict(type="str"),
            connect=dict(type="list", elements="dict", default=[], options=dict(
                address=dict(type="str", required=True),
                port=dict(type="int", required=True),
            )),
            http=dict(type="list", elements="dict", default=[], options=dict(
                address=dict(type="str", required=True),
                port=dict(type="int", default=80),
                path=dict(type="str", default="/"),
                host=dict(type="str"),
            )),
            expect_status=dict(type="int"),
            expect_body=dict(type="str"),
            timeout=dict(type="float", default=5.0),
            resolve_retries=dict(type="int", default=2),
            resolve_timeout=dict(type="float", default=0.5),
        ),
        supports_check_mode=True,
    )
    params = module.params
    bad = [a for a in params["resolve"] + [c["address"] for c in params["connect"]]
           + [h["address"] for h in params["http"]] if ip(a) is None]
    if bad:
        module.fail_json(msg="not IP addresses: %s" % ", ".join(bad), changed=False)
    if any(not h["path"].startswith("/") for h in params["http"]):
        module.fail_json(msg="http[].path must start with /", changed=False)
    links = []
    if params["resolve"]:
        ip_bin = module.get_bin_path("ip", required=True)
        rc, out, err = module.run_command([ip_bin, "-j", "address", "show"])
        if rc != 0:
            module.fail_json(msg="`ip -j address show` failed: %s" % err.strip(), changed=False)
        links = parse_links(json.loads(out or "[]"))
    module.exit_json(**run(params, links))


if __name__ == "__main__":
    main()
