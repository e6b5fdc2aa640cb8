"""How the controller reads and writes status: the IPs a Service shows, the patch that sets
them, the usage an IPAddressPool shows."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any


def service_key(svc: Mapping[str, Any]) -> str:
    meta = svc["metadata"]
    return f"{meta['namespace']}/{meta['name']}"


def status_ips(svc: Mapping[str, Any]) -> list[str]:
    """The IPs in status.loadBalancer.ingress as text, normalised (so '2001:DB8::1' equals
    ours). Unlike config.ingress_ips, an unparsable entry is kept as it is: the controller must
    see it to overwrite it."""
    ips = []
    for entry in (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or ():
        raw = entry.get("ip")
        if not raw:
            continue
        try:
            ips.append(str(ipaddress.ip_address(raw)))
        except ValueError:
            ips.append(raw)
    return ips


def status_patch(resource_version: str | None, ips: Sequence[str]) -> dict[str, Any]:
    """A merge patch for the status subresource. The resourceVersion makes it conditional: if
    the Service changed since we decided (new annotation, another writer), the API answers 409
    and the Service is reconciled again from the fresh object instead of being overwritten."""
    ingress = [{"ip": ip, "ipMode": "VIP"} for ip in ips] or None
    patch: dict[str, Any] = {"status": {"loadBalancer": {"ingress": ingress}}}
    if resource_version:
        patch["metadata"] = {"resourceVersion": resource_version}
    return patch


INT64_MAX = 2**63 - 1


def pool_status(assigned_v4: int, available_v4: int, assigned_v6: int,
                available_v6: int) -> dict[str, Any]:
    # An IPv6 /64 has more addresses than int64 holds: the count saturates instead of failing.
    return {"status": {
        "assignedIPv4": min(assigned_v4, INT64_MAX), "availableIPv4": min(available_v4, INT64_MAX),
        "assignedIPv6": min(assigned_v6, INT64_MAX), "availableIPv6": min(available_v6, INT64_MAX),
    }}
