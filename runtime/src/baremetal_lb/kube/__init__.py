"""Kubernetes I/O: a thin REST client, informers, leader election, events, server-side apply.

It knows nothing of pools or Services: the controller layer gives it paths and callbacks.
"""

from .apply import server_side_apply
from .client import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, KubeClient, WatchStream
from .config import ClusterSettings
from .errors import ApiError, KubeConfigError, TransportError
from .events import EventRecorder
from .informer import Informer
from .leader import LeaderElector
from .paths import object_key, resource_path

__all__ = [
    "APPLY_PATCH", "JSON_PATCH", "MERGE_PATCH", "ApiError", "ClusterSettings", "EventRecorder",
    "Informer", "KubeClient", "KubeConfigError", "LeaderElector", "TransportError",
    "WatchStream", "object_key", "resource_path", "server_side_apply",
]
