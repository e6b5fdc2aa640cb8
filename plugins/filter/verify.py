# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the verify role: which Services to check and what to send them.

The documentation of each filter is in the YAML file of the same name next to this one; the
logic is in module_utils/_verify/targets.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import facts as _facts
from ansible_collections.baremetal.exposure.plugins.module_utils._verify import router as _router
from ansible_collections.baremetal.exposure.plugins.module_utils._verify import targets as _targets


def verify_targets(plan, services=None):
    """The Services the verify stage checks for one site's plan."""
    try:
        return _targets.verify_targets(plan, services or [])
    except _targets.TargetError as exc:
        raise AnsibleFilterError("verify_targets: %s" % exc) from None


def vip_checks(service, plan, target):
    """What vip_check sends for one Service, on the LAN client and on the BGP vantage host."""
    return _targets.vip_checks(service or None, plan, target)


def frr_route_command(address):
    """The vtysh command showing the host route of an address."""
    if _facts.ip(address) is None:
        raise AnsibleFilterError("frr_route_command: %r is not an IP address" % (address,))
    return _router.route_command(_facts.ip(address))


def verify_router_output(result):
    """A looped command result (vtysh on a router) -> ``{router, output}``, plus ``address``
    when the loop item is a (router, address) pair. A failed command's output is its error,
    which the diagnosis reports as "vtysh did not print JSON: ..."."""
    if not isinstance(result, dict):
        raise AnsibleFilterError("verify_router_output: expected a registered loop result, got %r"
                                 % (result,))
    item = result.get(result.get("ansible_loop_var") or "item")
    found = {"router": item[0], "address": item[1]} if isinstance(item, (list, tuple)) else {"router": item}
    if result.get("rc") == 0:
        found["output"] = result.get("stdout", "")
    else:
        found["output"] = "vtysh failed on %s (rc=%s): %s" % (
            found["router"], result.get("rc"),
            (result.get("stderr") or result.get("msg") or "no output").strip())
    return found


def vips_in_pools(services, pools):
    """The external IPs of LoadBalancer Services that lie in the given plan pools, sorted."""
    found = set()
    for svc in services or []:
        if _facts._get(svc, "spec", "type") != "LoadBalancer":
            continue
        found.update(a for a in _facts.ingress_ips(svc) if _facts.pool_of(a, pools))
    return sorted(found, key=lambda a: (_facts.ip(a).version, int(_facts.ip(a))))


class FilterModule:
    """Verify filters."""

    def filters(self):
        return {
            "verify_targets": verify_targets,
            "vip_checks": vip_checks,
            "frr_route_command": frr_route_command,
            "verify_router_output": verify_router_output,
            "vips_in_pools": vips_in_pools,
        }
