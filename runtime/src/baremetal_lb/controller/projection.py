"""What the controller keeps of each watched object, and how it reads and writes status.

The informers store these slim projections instead of whole objects: a Service carries
managedFields, last-applied annotations and fields we never read, and at 5,000 Services that is
most of the controller's memory.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

ANNOTATION_PREFIXES = ("metallb.io/", "metallb.universe.tf/")
SERVICE_FIELDS = ("type", "loadBalancerClass", "externalTrafficPolicy", "selector",
                  "ipFamilies", "ipFamilyPolicy", "loadBalancerIP")


def slim_service(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if k.startswith(ANNOTATION_PREFIXES)}
    slim_spec: dict[str, Any] = {k: spec[k] for k in SERVICE_FIELDS if k in spec}
    slim_spec["ports"] = [{"port": p.get("port"), "protocol": p.get("protocol", "TCP")}
                          for p in spec.get("ports") or ()]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": meta.get("name"), "namespace": meta.get("namespace"),
            "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion"),
            "creationTimestamp": meta.get("creationTimestamp"),
            "labels": meta.get("labels") or {}, "annotations": annotations,
        },
        "spec": slim_spec,
        "status": {"loadBalancer": (obj.get("status") or {}).get("loadBalancer") or {}},
    }


def slim_namespace(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    return {"metadata": {"name": meta.get("name"), "labels": meta.get("labels") or {}}}


def slim_pool(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    meta.pop("annotations", None)
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind", "IPAddressPool"),
            "metadata": meta, "spec": obj.get("spec") or {}, "status": obj.get("status") or {}}


def service_key(svc: Mapping[str, Any]) -> str:
    meta = svc["metadata"]
    return f"{meta['namespace']}/{meta['name']}"


def ingress_ips(svc: Mapping[str, Any]) -> list[str]:
    """The IPs in status.loadBalancer.ingress, normalised (so '2001:DB8::1' equals ours)."""
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
