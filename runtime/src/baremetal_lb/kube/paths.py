"""REST paths of Kubernetes resources, built and taken apart."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

# Subresources of a Namespace object itself; any other word after /namespaces/NAME/ is a
# namespaced resource.
_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


def resource_path(api_version: str, kind_plural: str, namespace: str | None,
                  name: str | None = None, subresource: str | None = None) -> str:
    """/api/v1/namespaces/NS/services/NAME/status and the like. api_version is "v1" for the
    core group and "GROUP/VERSION" otherwise; namespace None means cluster-scoped (or all
    namespaces for a collection)."""
    if not api_version or api_version.count("/") > 1:
        raise ValueError(f"api_version {api_version!r} is neither 'v1' nor 'group/version'")
    if not kind_plural:
        raise ValueError("kind_plural is empty; pass the lower-case plural, e.g. 'services'")
    if subresource and not name:
        raise ValueError(f"subresource {subresource!r} needs an object name")
    parts = ["/api" if "/" not in api_version else "/apis", api_version]
    if namespace:
        parts += ["namespaces", _segment(namespace)]
    parts.append(_segment(kind_plural))
    if name:
        parts.append(_segment(name))
    if subresource:
        parts.append(_segment(subresource))
    return "/".join(parts)


@dataclass(frozen=True)
class PathInfo:
    group_version: str
    namespace: str | None
    resource: str            # plural, e.g. "services"; "" for discovery paths
    name: str | None
    subresource: str | None


def parse_path(path: str) -> PathInfo:
    """The parts of a resource path; discovery and unknown paths give resource ''."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    if segments[:1] == ["api"] and len(segments) >= 2:
        group_version, rest = segments[1], segments[2:]
    elif segments[:1] == ["apis"] and len(segments) >= 3:
        group_version, rest = f"{segments[1]}/{segments[2]}", segments[3:]
    else:
        return PathInfo("/".join(segments[1:3]), None, "", None, None)
    namespace = None
    if rest[:1] == ["namespaces"] and len(rest) >= 3 and rest[2] not in _NAMESPACE_SUBRESOURCES:
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return PathInfo(group_version, namespace, "", None, None)
    return PathInfo(group_version, namespace, rest[0],
                    rest[1] if len(rest) > 1 else None,
                    "/".join(rest[2:]) or None)


def verb_of(method: str, info: PathInfo, watch: bool = False) -> str:
    """The Kubernetes verb of a request (the way apiserver audit logs and metrics name them)."""
    method = method.upper()
    if watch:
        return "watch"
    if method == "GET":
        return "get" if info.name else "list"
    if method == "DELETE":
        return "delete" if info.name else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())


def resource_label(info: PathInfo) -> str:
    """'services', 'services/status', or 'discovery' for paths without a resource."""
    if not info.resource:
        return "discovery"
    return f"{info.resource}/{info.subresource}" if info.subresource else info.resource


def object_key(obj: dict[str, object]) -> str:
    """'namespace/name', or 'name' for cluster-scoped objects (the informer store key)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise ValueError("object without metadata")
    name, namespace = meta.get("name"), meta.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def _segment(value: str) -> str:
    if value in ("", ".", "..") or "/" in value:
        raise ValueError(f"{value!r} is not a valid path segment for a Kubernetes name")
    return quote(value, safe="")
