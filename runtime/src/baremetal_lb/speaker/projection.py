"""What the speaker keeps of each watched object (slim, to keep memory flat at 1,000s of IPs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def slim_service(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace"),
                     "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")},
        "spec": {k: spec[k] for k in ("type", "loadBalancerClass", "externalTrafficPolicy")
                 if k in spec},
        "status": {"loadBalancer": (obj.get("status") or {}).get("loadBalancer") or {}},
    }


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


def slim_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    meta.pop("annotations", None)
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": meta,
            "spec": obj.get("spec") or {}}


def slim_secret(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A basic-auth Secret's name and password only (nothing else of a Secret is kept)."""
    import base64
    meta = obj.get("metadata") or {}
    encoded = (obj.get("data") or {}).get("password")
    password = base64.b64decode(encoded).decode() if encoded else None
    return {"metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")},
            "password": password}
