# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The DHCP and IPAM backend settings of a site (exposure_dhcp, exposure_ipam) -> the plan.

PRIVATE to this collection: no compatibility promise outside it.

Everything the reservation roles read is checked here, in the preflight, so a missing URL or
a bad path fails before NetBox or the DHCP server is touched. URLs and user names fall back to
the controller's environment (NETBOX_API, KEA_API_URL, KEA_API_USER, as an AWX credential
injects them; the names come from _reservation/connection.py) and the plan carries the
resolved values. Secrets (the NetBox token, the Kea password: the variable, else
NETBOX_TOKEN / KEA_API_PASSWORD) are checked the way the modules check them, but the plan only
says ``token_set`` / ``password_set``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils import _text
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import (
    connection,
    dnsmasq,
    netbox,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._site import fields as f

DHCP_BACKENDS = ("kea", "dnsmasq", "none")
IPAM_BACKENDS = ("netbox", "none")
DHCP_KEYS = ("backend", "dynamic_ranges", "kea", "dnsmasq")


def _dnsmasq_path(where, value):
    try:
        return dnsmasq.check_path(where, value)
    except _text.TextError as exc:
        raise f.FieldError(str(exc)) from exc


def _slug(max_length=100):
    return f.pattern(netbox.SLUG, max_length, netbox.SLUG_RULE)


def host(inventory_hosts):
    """An inventory host name (any name when the inventory is not known)."""
    def check(where, value):
        f.text(255)(where, value)
        if inventory_hosts is not None and value not in inventory_hosts and value != "localhost":
            raise f.FieldError("%s = %s is not a host of the inventory" % (where, _text.shown(value)))
        return value
    return check


def _check_connection(errors, check, params, names):
    try:
        check(params, names)
    except _text.TextError as exc:
        errors.add(str(exc))


def parse_dhcp(errors, value, secrets, env, inventory_hosts):
    """exposure_dhcp -> (plan dict, its dynamic_ranges for the site model to parse)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        errors.add("exposure_dhcp must be a dict with a backend key, got %s" % f.type_name(value))
        return {"backend": "none", "kea": None, "dnsmasq": None}, []
    f.unknown_keys(errors, "exposure_dhcp", value, DHCP_KEYS)
    backend = f.run(errors, f.choice(*DHCP_BACKENDS), "exposure_dhcp.backend",
                    value.get("backend", "none"), "none")
    plan = {"backend": backend, "kea": None, "dnsmasq": None}
    if backend == "kea":
        plan["kea"] = _kea(errors, value.get("kea"), secrets, env, inventory_hosts)
    elif backend == "dnsmasq":
        plan["dnsmasq"] = _dnsmasq(errors, value.get("dnsmasq"), inventory_hosts)
    return plan, value.get("dynamic_ranges") or []


def _kea(errors, value, secrets, env, inventory_hosts):
    table = dict(
        url=(f.raw, None), username=(f.raw, None), password=(f.raw, None),
        validate_certs=(f.boolean, True), timeout=(f.integer(1, 3600), 10),
        service=(f.choice("dhcp4", "dhcp6"), "dhcp4"), config_file=(f.text(4096), None),
        delegate_to=(host(inventory_hosts), "localhost"))
    settings = f.section(errors, "exposure_dhcp.kea", f.without(value, "password"), table)
    if settings is None:
        return None
    secret = secrets.get("exposure_dhcp.kea.password") or (value or {}).get("password")
    env_of = connection.KEA_ENV
    params = {"kea_url": settings["url"] or env.get(env_of["kea_url"]),
              "kea_username": settings["username"] or env.get(env_of["kea_username"]),
              "kea_password": secret or env.get(env_of["kea_password"]),
              "kea_timeout": settings["timeout"]}
    _check_connection(errors, connection.check_kea, params, {
        "kea_url": "exposure_dhcp.kea.url", "kea_username": "exposure_dhcp.kea.username",
        "kea_password": "exposure_dhcp.kea.password", "kea_timeout": "exposure_dhcp.kea.timeout"})
    settings.pop("password")
    settings.update(url=params["kea_url"] or None, username=params["kea_username"] or None,
                    password_set=bool(params["kea_password"]))
    return settings


def _dnsmasq(errors, value, inventory_hosts):
    table = dict(
        host=(host(inventory_hosts), None), ranges_file=(_dnsmasq_path, None),
        main_config=(_dnsmasq_path, None), leases_file=(_dnsmasq_path, None),
        restart_command=(f.text(4096), None), service=(f.text(255, ascii_only=True), "dnsmasq"))
    settings = f.section(errors, "exposure_dhcp.dnsmasq", value, table)
    if settings is not None and not (value or {}).get("ranges_file"):
        errors.add("exposure_dhcp.dnsmasq.ranges_file is not set; give the file whose dhcp-range "
                   "lines the reservation manages")
    return settings


def parse_ipam(errors, value, secrets, env, site_name):
    """exposure_ipam -> plan dict (only ``backend`` unless it is netbox)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        errors.add("exposure_ipam must be a dict with a backend key, got %s" % f.type_name(value))
        return {"backend": "none"}
    table = dict(
        backend=(f.choice(*IPAM_BACKENDS), "none"), url=(f.raw, None),
        token=(f.raw, None), validate_certs=(f.boolean, True),
        timeout=(f.integer(1, 3600), 30),
        site=(_slug(100 - len(netbox.site_tag(""))), None), vrf=(f.text(100), None),
        tenant=(_slug(), None), role=(_slug(), "kubernetes-load-balancer"),
        tags=(f.list_of(_slug()), ["k8s-lb-pool"]), prune=(f.boolean, False))
    settings = f.section(errors, "exposure_ipam", f.without(value, "token"), table)
    if settings is None or settings["backend"] != "netbox":
        return {"backend": settings["backend"] if settings else "none"}
    secret = secrets.get("exposure_ipam.token") or value.get("token")
    env_of = connection.NETBOX_ENV
    params = {"netbox_url": settings["url"] or env.get(env_of["netbox_url"]),
              "netbox_token": secret or env.get(env_of["netbox_token"]),
              "netbox_timeout": settings["timeout"]}
    _check_connection(errors, connection.check_netbox, params, {
        "netbox_url": "exposure_ipam.url", "netbox_token": "exposure_ipam.token",
        "netbox_timeout": "exposure_ipam.timeout"})
    settings.pop("token")
    settings.update(url=params["netbox_url"] or None, token_set=bool(params["netbox_token"]),
                    site=settings["site"] or site_name)
    return settings
