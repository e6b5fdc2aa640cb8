"""A real Kubernetes control plane (etcd, apiserver, controller-manager, scheduler, KWOK)."""

from __future__ import annotations

from typing import Any

__all__ = ["KubeControlPlane"]


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m exposure_lab.kube.build` needs nothing but the standard library.
    if name == "KubeControlPlane":
        from .control_plane import KubeControlPlane

        return KubeControlPlane
    raise AttributeError(name)
