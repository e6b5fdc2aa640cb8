"""What goes wrong in configuration: the error raised while parsing one object, and the
problem recorded for it when the object is left out.

Every message names the object, the field and the fix, e.g.
"IPAddressPool metallb-system/web: spec.addresses[1] '198.51.100.300' is not an IP,
a CIDR or a range a-b". Being a ValueError lets callers treat bad input uniformly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A Kubernetes object (pool, advertisement, peer, Service, legacy ConfigMap) is invalid."""


@dataclass(frozen=True)
class ObjectRef:
    """Which object a problem is about, as far as messages and an Event's involvedObject need."""

    kind: str
    name: str
    namespace: str = ""
    api_version: str = ""
    uid: str = ""

    @classmethod
    def of(cls, obj: Mapping[str, Any], kind: str) -> ObjectRef:
        meta = obj.get("metadata") or {}
        return cls(kind, str(meta.get("name") or "?"), str(meta.get("namespace") or ""),
                   str(obj.get("apiVersion") or ""), str(meta.get("uid") or ""))

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else \
            f"{self.kind} {self.name}"

    def problem(self, message: str) -> Problem:
        return Problem(self, message)

    def as_object(self) -> dict[str, Any]:
        """The object as an Event's involvedObject needs it (kind, apiVersion, metadata)."""
        meta = {"name": self.name, "namespace": self.namespace, "uid": self.uid}
        return {"kind": self.kind, "apiVersion": self.api_version or None,
                "metadata": {k: v for k, v in meta.items() if v}}


@dataclass(frozen=True)
class Problem:
    """Why an object was left out (or, for kind Node, why a node ignores part of the
    configuration). The message names the object itself; `ref` says which one is meant, for
    a Warning Event on it and the ConfigurationState."""

    ref: ObjectRef
    message: str

    @classmethod
    def about(cls, obj: Mapping[str, Any], kind: str, message: str) -> Problem:
        return cls(ObjectRef.of(obj, kind), message)

    @property
    def kind(self) -> str:
        return self.ref.kind

    @property
    def name(self) -> str:
        return self.ref.name


def describe(obj: Mapping[str, Any], kind: str) -> str:
    """How messages name an object: "BGPPeer ns/name", or "BGPPeer name" without a namespace
    (items of a LIST carry no kind, so the caller says it)."""
    return str(ObjectRef.of(obj, kind))


def name_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})
