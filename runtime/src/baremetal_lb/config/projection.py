"""What the components keep of each object they watch: one projection per kind.

Informers store these slim projections instead of whole objects: a Service carries
managedFields, last-applied annotations and fields nobody here reads, and at 5,000 Services
that is most of a component's memory. Each projection keeps exactly what the parsers of this
package (and the Events the components record) read.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from baremetal_lb.config.service import PREFIXES

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
# What announcing a Service needs (is_ours, eligibility) ...
ANNOUNCE_FIELDS = ("type", "loadBalancerClass", "externalTrafficPolicy")
# ... and what allocating its IPs needs besides (service_request).
ALLOCATION_FIELDS = (*ANNOUNCE_FIELDS, "selector", "ipFamilies", "ipFamilyPolicy",
                     "loadBalancerIP")


def slim_service(obj: Mapping[str, Any], *, allocation: bool = False) -> dict[str, Any]:
    """The speaker keeps what announcing needs; the controller (`allocation`) also labels,
    metallb annotations, ports and IP families. Not one projection for both: the allocation
    fields cost the speaker about 1.7 MB per 1,000 Services (tracemalloc), against a memory
    goal of 60 MB at 1,000 announced IPs."""
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    slim_meta = {"name": meta.get("name"), "namespace": meta.get("namespace"),
                 "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")}
    fields = ALLOCATION_FIELDS if allocation else ANNOUNCE_FIELDS
    slim_spec: dict[str, Any] = {k: spec[k] for k in fields if k in spec}
    if allocation:
        slim_meta.update(
            creationTimestamp=meta.get("creationTimestamp"), labels=meta.get("labels") or {},
            annotations={k: v for k, v in (meta.get("annotations") or {}).items()
                         if k.startswith(PREFIXES)})
        slim_spec["ports"] = [{"port": p.get("port"), "protocol": p.get("protocol", "TCP")}
                              for p in spec.get("ports") or ()]
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": slim_meta, "spec": slim_spec,
        "status": {"loadBalancer": (obj.get("status") or {}).get("loadBalancer") or {}},
    }


def slim_namespace(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    return {"metadata": {"name": meta.get("name"), "labels": meta.get("labels") or {}}}


def slim_node(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    conditions = (obj.get("status") or {}).get("conditions") or ()
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return {"metadata": {"name": meta.get("name"), "labels": meta.get("labels") or {}},
            "ready": ready}


def slim_endpoint_slice(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The nodes with a ready endpoint in this slice (ready unset counts as ready, as the
    EndpointSlice API says for consumers)."""
    meta = obj.get("metadata") or {}
    nodes = sorted({e.get("nodeName") or "" for e in obj.get("endpoints") or ()
                    if (e.get("conditions") or {}).get("ready", True) is not False})
    return {"metadata": {"name": meta.get("name"), "namespace": meta.get("namespace"),
                         "service": (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)},
            "ready_nodes": nodes}


def slim_metallb(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Any metallb.io object (pool, advertisement, peer, profile, community): everything but
    managedFields and annotations. The status is kept: the controller compares its pool
    status with what it would write."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    meta.pop("annotations", None)
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": meta,
            "spec": obj.get("spec") or {}, "status": obj.get("status") or {}}


BASIC_AUTH = "kubernetes.io/basic-auth"


def slim_secret(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A basic-auth Secret's name and password only (nothing else of a Secret is kept; a
    Secret of another type gives no password, as MetalLB reads only basic-auth ones)."""
    meta = obj.get("metadata") or {}
    data = obj.get("data") if obj.get("type") == BASIC_AUTH else None
    encoded = (data or {}).get("password")
    password = base64.b64decode(encoded).decode() if encoded else None
    return {"metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")},
            "password": password}
