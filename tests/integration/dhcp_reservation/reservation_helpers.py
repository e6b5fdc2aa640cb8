"""Shared helpers for the dhcp_reservation tests: the lab's plan and the playbook."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

PLAYBOOK = Path(__file__).parent / "playbooks" / "reserve.yml"
VIP_FIRST, VIP_LAST = ipaddress.ip_address("198.51.100.180"), ipaddress.ip_address("198.51.100.209")


def _rng(first: str, last: str) -> dict[str, Any]:
    version = ipaddress.ip_address(first).version
    return {"first": first, "last": last, "version": version}


# What address_plan makes of lab/inventory/group_vars/site_lab.yml (the parts this role reads).
PLAN = {
    "site": "lab",
    "pools": [
        {"name": "ingress", "ranges": [_rng("198.51.100.200", "198.51.100.209")]},
        {"name": "services", "ranges": [_rng("198.51.100.180", "198.51.100.199"),
                                        _rng("2001:db8:100::1:0", "2001:db8:100::1:ff")]},
        {"name": "routed", "ranges": [_rng("203.0.113.0", "203.0.113.79")]},
    ],
}


def kea_plan(url: str, **kea: Any) -> dict[str, Any]:
    """PLAN with the Kea settings the preflight would give it (the role reads only the plan; the
    password comes from KEA_API_PASSWORD, as from an AWX credential)."""
    settings = {"url": url, "username": "admin", "password_set": True, "validate_certs": True,
                "timeout": 10, "service": "dhcp4", "config_file": None, "delegate_to": "localhost"}
    settings.update(kea)
    return dict(PLAN, dhcp={"backend": "kea", "kea": settings, "dnsmasq": None, "dynamic_ranges": []})


def dnsmasq_plan(**dnsmasq: Any) -> dict[str, Any]:
    """PLAN with the dnsmasq settings the preflight would give it."""
    settings = {"host": None, "ranges_file": None, "main_config": None, "leases_file": None,
                "restart_command": None, "service": "dnsmasq"}
    settings.update(dnsmasq)
    return dict(PLAN, dhcp={"backend": "dnsmasq", "kea": None, "dnsmasq": settings,
                            "dynamic_ranges": []})


def in_vip(ip: str) -> bool:
    return VIP_FIRST <= ipaddress.ip_address(ip) <= VIP_LAST
