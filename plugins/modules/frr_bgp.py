#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: frr_bgp
short_description: FRR BGP peers, prefix-lists and route-maps as a network resource
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Manages the BGP side of an FRR router that peers with a cluster, with the states of the
    ansible.netcommon network resource modules.
  - Renders a full candidate configuration (the running configuration with the managed lines
    replaced), checks it with C(vtysh -C), computes the delta with C(frr-reload.py --test)
    and applies it with C(frr-reload.py --reload). No daemon is restarted, sessions stay up.
    After applying, it reads the configuration back; if FRR did not take the whole change it
    restores the previous configuration and fails saying so.
  - Lines are owned by a peer (neighbor or peer group), a prefix-list, a route-map, the
    router-id or an address family's C(maximum-paths). Unrelated configuration (other
    neighbors, interfaces, static routes, BGP settings the module does not model) survives
    every state except O(state=overridden), which removes every neighbor, peer group,
    prefix-list and route-map not in O(config).
  - Runs on the router host. Needs C(vtysh) and C(frr-reload.py) (Debian package
    C(frr-pythontools)).
extends_documentation_fragment:
  - baremetal.exposure._attributes
attributes:
  check_mode:
    support: full
    details:
      - The delta comes from C(frr-reload.py --test); nothing is applied.
  diff_mode:
    support: full
    details:
      - The running configuration before and the candidate after, passwords masked.
options:
  state:
    description:
      - V(merged) sets the lines given, keeping other lines of the same owners.
      - V(replaced) makes each owner named in O(config) exactly as given; other owners stay.
      - V(overridden) makes all modelled BGP configuration exactly O(config).
      - V(deleted) removes the owners named in O(config) (never anything unnamed).
      - V(gathered) returns the running configuration as structured data.
      - V(rendered) returns O(config) as FRR configuration lines, without a connection.
      - V(parsed) returns O(running_config) as structured data, without a connection.
    type: str
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
    default: merged
  running_config:
    description:
      - FRR configuration text to parse with O(state=parsed).
      - It usually holds passwords, so it is not echoed back (C(no_log)); the passwords in the
        parsed result are masked.
    type: str
  vty_socket:
    description: Directory of FRR's vty sockets (C(vtysh --vty_socket), frr-reload.py C(--rundir)).
    type: path
    default: /var/run/frr
  config_dir:
    description: FRR's configuration directory, holding the integrated C(frr.conf).
    type: path
    default: /etc/frr
  reload_script:
    description: Path of C(frr-reload.py).
    type: path
    default: /usr/lib/frr/frr-reload.py
  config:
    description:
      - The BGP configuration.
      - Every value is checked against what FRR 8.4 takes before anything is rendered, and the
        module fails naming each option that FRR would refuse or read differently. Names
        (peer groups, prefix-lists, route-maps) are one word of letters, digits, C(_), C(.)
        and C(-) starting with a letter, at most 128 characters; descriptions are printable
        ASCII on one line, at most 80 characters, single spaces; passwords are 1-80 printable
        ASCII characters without spaces.
    type: dict
    suboptions:
      asn:
        description: The router's AS number (the C(router bgp) instance).
        type: int
      router_id:
        description: The BGP router-id.
        type: str
      peer_groups:
        description:
          - Peer groups, by name. Same options as O(config.neighbors) except C(address) and
            C(peer_group).
        type: list
        elements: dict
        suboptions:
          name:
            description: The peer group's name (a name, see O(config)).
            type: str
            required: true
          # The options of a peer, the same for neighbors (merged there with <<).
          <<: &peer_options
            remote_as:
              description: The peer's AS number, or V(external)/V(internal).
              type: str
            description:
              description: Free text shown in C(show bgp summary), at most 80 printable ASCII characters.
              type: str
            password:
              description: TCP MD5 password of the session, 1-80 printable ASCII characters without spaces.
              type: str
            bfd:
              description: Watch the session with BFD (needs bfdd).
              type: bool
            ebgp_multihop:
              description: TTL for eBGP sessions to peers not on the same link.
              type: int
            timers:
              description: BGP keepalive and hold time in seconds.
              type: dict
              suboptions:
                keepalive:
                  description: Keepalive interval.
                  type: int
                  required: true
                holdtime:
                  description: Hold time.
                  type: int
                  required: true
            address_families:
              description: Per address family settings; a family listed here is activated.
              type: list
              elements: dict
              suboptions:
                afi:
                  description: The address family.
                  type: str
                  choices: [ipv4, ipv6]
                  required: true
                activate:
                  description: Activate the family for this peer.
                  type: bool
                  default: true
                soft_reconfiguration_inbound:
                  description:
                    - Keep the routes received before policy, so a tightened prefix-list applies
                      without resetting the session. Set it from the start (adding it later resets
                      the session).
                  type: bool
                maximum_prefix:
                  description: Tear the session down when the peer sends more prefixes.
                  type: dict
                  suboptions:
                    limit:
                      description: Largest number of prefixes accepted.
                      type: int
                      required: true
                    restart:
                      description: Minutes after which the session comes back (else it stays down).
                      type: int
                route_map_in:
                  description: Route-map applied to received routes.
                  type: str
                route_map_out:
                  description: Route-map applied to sent routes.
                  type: str
      neighbors:
        description: Neighbors, by address.
        type: list
        elements: dict
        suboptions:
          address:
            description: The neighbor's address.
            type: str
            required: true
          peer_group:
            description:
              - Peer group the neighbor belongs to. Leave O(config.neighbors[].remote_as) unset
                when the group sets it (FRR shows it on the group only).
            type: str
          <<: *peer_options
      address_families:
        description: Per address family settings of the BGP instance.
        type: list
        elements: dict
        suboptions:
          afi:
            description: The address family.
            type: str
            choices: [ipv4, ipv6]
            required: true
          maximum_paths:
            description: Number of equal-cost eBGP paths installed (ECMP).
            type: int
      prefix_lists:
        description: Prefix-lists, each replaced as a whole by V(replaced).
        type: list
        elements: dict
        suboptions:
          name: &frr_list_name
            description:
              - The name. One word that starts with a letter, then letters, digits, C(_), C(.), C(-);
                at most 128 characters (checked before anything is rendered).
            type: str
            required: true
          afi:
            description: V(ipv4) (C(ip prefix-list)) or V(ipv6).
            type: str
            choices: [ipv4, ipv6]
            default: ipv4
          entries:
            description: The entries.
            type: list
            elements: dict
            required: true
            suboptions:
              # The options of every entry, the same for route-map entries (merged there).
              <<: &entry_options
                seq:
                  description: Sequence number.
                  type: int
                  required: true
                action:
                  description: Permit or deny.
                  type: str
                  choices: [permit, deny]
                  default: permit
              prefix:
                description: The prefix (V(any) matches everything).
                type: str
                required: true
              ge:
                description: Shortest prefix length matched.
                type: int
              le:
                description: Longest prefix length matched.
                type: int
      route_maps:
        description: Route-maps, each replaced as a whole by V(replaced).
        type: list
        elements: dict
        suboptions:
          name: *frr_list_name
          entries:
            description: The entries.
            type: list
            elements: dict
            required: true
            suboptions:
              <<: *entry_options
              match_ipv4_prefix_list:
                description: Match routes in this IPv4 prefix-list.
                type: str
              match_ipv6_prefix_list:
                description: Match routes in this IPv6 prefix-list.
                type: str
              set_community:
                description: Set these communities (V(65535:65282) style).
                type: list
                elements: str
              set_large_community:
                description: Set these large communities (V(1:2:3) style).
                type: list
                elements: str
              set_local_preference:
                description: Set this local preference.
                type: int
requirements:
  - FRR with vtysh and frr-reload.py (frr-pythontools) on the managed host
seealso:
  - module: baremetal.exposure.address_ranges
"""

EXAMPLES = r"""
- name: Peer with the cluster nodes, accept only the pool's host routes
  baremetal.exposure.frr_bgp:
    state: replaced
    config:
      asn: 64512
      router_id: 198.51.100.1
      peer_groups:
        - name: EXPOSURE-lab
          remote_as: "64513"
          timers: {keepalive: 3, holdtime: 9}
          bfd: true
          address_families:
            - afi: ipv4
              soft_reconfiguration_inbound: true
              maximum_prefix: {limit: 100, restart: 1}
              route_map_in: EXPOSURE-lab-IN
              route_map_out: EXPOSURE-lab-OUT
      neighbors:
        - {address: 198.51.100.11, peer_group: EXPOSURE-lab, description: node1}
        - {address: 198.51.100.12, peer_group: EXPOSURE-lab, description: node2}
      address_families:
        - {afi: ipv4, maximum_paths: 8}
      prefix_lists:
        - name: EXPOSURE-lab-routed-V4
          entries:
            - {seq: 5, prefix: 203.0.113.0/26, ge: 32}
      route_maps:
        - name: EXPOSURE-lab-IN
          entries:
            - {seq: 10, match_ipv4_prefix_list: EXPOSURE-lab-routed-V4}
            - {seq: 65535, action: deny}
        - name: EXPOSURE-lab-OUT
          entries:
            - {seq: 65535, action: deny}

- name: Show the FRR lines for a config, without a router
  baremetal.exposure.frr_bgp:
    state: rendered
    config:
      asn: 64512
      neighbors: [{address: 198.51.100.11, remote_as: "64513"}]
"""

RETURN = r"""
before:
  description:
    - The modelled configuration before the run (structured, as O(config)).
    - Every password is masked, including those of peers the module was not given.
  returned: when O(state) is merged, replaced, overridden or deleted
  type: dict
after:
  description: The modelled configuration after the run (in check mode, as it would be).
  returned: when O(state) is merged, replaced, overridden or deleted
  type: dict
commands:
  description: The delta from C(frr-reload.py --test), block headers folded.
  returned: when O(state) is merged, replaced, overridden or deleted
  type: list
  elements: str
  sample: ["router bgp 64512", " neighbor 198.51.100.11 peer-group EXPOSURE-lab"]
gathered:
  description: The running configuration as structured data (passwords masked).
  returned: when O(state=gathered)
  type: dict
rendered:
  description: O(config) as FRR configuration lines (passwords masked).
  returned: when O(state=rendered)
  type: list
  elements: str
parsed:
  description: O(running_config) as structured data (passwords masked).
  returned: when O(state=parsed)
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils import _module
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_apply import FrrBackend
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_resource import (
    STATES,
    run,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._text import text


def _peer_spec(key):
    timers = dict(keepalive=dict(type="int", required=True), holdtime=dict(type="int", required=True))
    family = dict(
        afi=dict(type="str", choices=["ipv4", "ipv6"], required=True),
        activate=dict(type="bool", default=True),
        soft_reconfiguration_inbound=dict(type="bool"),
        maximum_prefix=dict(type="dict", options=dict(
            limit=dict(type="int", required=True), restart=dict(type="int"))),
        route_map_in=dict(type="str"),
        route_map_out=dict(type="str"),
    )
    spec = {key: dict(type="str", required=True)}
    if key == "address":
        spec["peer_group"] = dict(type="str")
    spec.update(
        remote_as=dict(type="str"),
        description=dict(type="str"),
        password=dict(type="str", no_log=True),
        bfd=dict(type="bool"),
        ebgp_multihop=dict(type="int"),
        timers=dict(type="dict", options=timers),
        address_families=dict(type="list", elements="dict", options=family),
    )
    return spec


def argument_spec():
    entry = dict(seq=dict(type="int", required=True),
                 action=dict(type="str", choices=["permit", "deny"], default="permit"))
    prefix_entry = dict(entry, prefix=dict(type="str", required=True), ge=dict(type="int"),
                        le=dict(type="int"))
    route_map_entry = dict(
        entry, match_ipv4_prefix_list=dict(type="str"), match_ipv6_prefix_list=dict(type="str"),
        set_community=dict(type="list", elements="str"),
        set_large_community=dict(type="list", elements="str"),
        set_local_preference=dict(type="int"))
    config = dict(
        asn=dict(type="int"),
        router_id=dict(type="str"),
        peer_groups=dict(type="list", elements="dict", options=_peer_spec("name")),
        neighbors=dict(type="list", elements="dict", options=_peer_spec("address")),
        address_families=dict(type="list", elements="dict", options=dict(
            afi=dict(type="str", choices=["ipv4", "ipv6"], required=True),
            maximum_paths=dict(type="int"))),
        prefix_lists=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            afi=dict(type="str", choices=["ipv4", "ipv6"], default="ipv4"),
            entries=dict(type="list", elements="dict", required=True, options=prefix_entry))),
        route_maps=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            entries=dict(type="list", elements="dict", required=True, options=route_map_entry))),
    )
    return dict(
        state=dict(type="str", choices=list(STATES), default="merged"),
        # FRR text, usually with the peers' passwords in it: never echoed back in `invocation`.
        running_config=dict(type="str", no_log=True),
        vty_socket=dict(type="path", default="/var/run/frr"),
        config_dir=dict(type="path", default="/etc/frr"),
        reload_script=dict(type="path", default="/usr/lib/frr/frr-reload.py"),
        config=dict(type="dict", options=config),
    )


def configure(module):
    params = module.params
    for option in ("vty_socket", "config_dir", "reload_script"):
        # Arguments of vtysh and frr-reload.py (no shell): one line is all they need.
        text(option, params[option], 4096)
    backend = FrrBackend(
        module.run_command, vty_socket=params["vty_socket"],
        config_dir=params["config_dir"], reload_script=params["reload_script"],
        tmpdir=module.tmpdir)
    return run(backend, params["state"], config=params["config"],
               running_config=params["running_config"], check_mode=module.check_mode)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[("state", "parsed", ["running_config"])],
        supports_check_mode=True,
    )
    _module.run(module, lambda: configure(module), libraries=())


if __name__ == "__main__":
    main()
