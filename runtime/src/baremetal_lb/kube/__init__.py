"""Kubernetes I/O: a thin REST client, informers, leader election, events, server-side apply.

It owns how the runtime talks to the apiserver: the paths of the resources it uses
(resources.py) and the content types of patches. It knows nothing of what pools or Services
mean: the components above give it objects and callbacks.
"""

from .apply import server_side_apply
from .client import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, KubeClient, WatchStream
from .config import ClusterSettings
from .errors import ApiError, KubeConfigError, TransportError
from .events import EventRecorder
from .informer import Informer
from .leader import LeaderElector
from .paths import object_key, resource_path
from .resources import Resource, merge_patch_status

__all__ = [
    "APPLY_PATCH", "JSON_PATCH", "MERGE_PATCH", "ApiError", "ClusterSettings", "EventRecorder",
    "Informer", "KubeClient", "KubeConfigError", "LeaderElector", "TransportError",
    "Resource", "WatchStream", "merge_patch_status", "object_key", "resource_path",
    "server_side_apply",
]
