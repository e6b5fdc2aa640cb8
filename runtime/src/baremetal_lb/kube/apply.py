"""Server-side apply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .client import APPLY_PATCH, KubeClient
from .paths import resource_path


def server_side_apply(client: KubeClient, obj: Mapping[str, Any], field_manager: str,
                      force: bool = False, subresource: str | None = None, *,
                      timeout: float | None = None, retry: bool = True) -> dict[str, Any]:
    """Applies obj (a full manifest: apiVersion, kind, metadata.name[, namespace]) as
    field_manager and returns the object as stored. The resource's plural and scope come
    from API discovery; force takes over fields owned by other managers. With subresource
    "status", obj's status is applied (the object must exist: apply it without status first)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not api_version or not kind or not name:
        raise ValueError(f"server-side apply needs apiVersion, kind and metadata.name; got "
                         f"apiVersion={api_version!r} kind={kind!r} name={name!r}")
    plural, namespaced = client.resource_for(str(api_version), str(kind))
    namespace = meta.get("namespace") if namespaced else None
    if namespaced and not namespace:
        raise ValueError(f"{kind} {name}: metadata.namespace is required, {kind} is namespaced")
    params = {"fieldManager": field_manager}
    if force:
        params["force"] = "true"
    path = resource_path(str(api_version), plural, namespace, str(name), subresource)
    # JSON is YAML, so the apply-patch+yaml content type takes the JSON body as it is.
    return client.request("PATCH", path, params=params, body=dict(obj),
                          content_type=APPLY_PATCH, timeout=timeout, retry=retry)
