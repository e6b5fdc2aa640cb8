"""The resources the runtime reads and writes: one place for their paths.

Nothing outside kube/ builds an API path or names a content type: callers take a Resource
from here and ask it for a collection, object or status path, and patch through
`merge_patch_status` / `server_side_apply`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import MERGE_PATCH, KubeClient
from .paths import resource_path


@dataclass(frozen=True)
class Resource:
    api_version: str          # "v1" or "group/version"
    plural: str
    kind: str
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None,
             subresource: str | None = None) -> str:
        """The collection (in `namespace`, or in all namespaces without one), an object, or
        an object's subresource."""
        if not self.namespaced and namespace:
            raise ValueError(f"{self.kind} is cluster-scoped: no namespace {namespace!r}")
        return resource_path(self.api_version, self.plural, namespace, name, subresource)

    def status_path(self, namespace: str | None, name: str) -> str:
        return self.path(namespace, name, "status")


SERVICES = Resource("v1", "services", "Service")
NAMESPACES = Resource("v1", "namespaces", "Namespace", namespaced=False)
NODES = Resource("v1", "nodes", "Node", namespaced=False)
SECRETS = Resource("v1", "secrets", "Secret")
EVENTS = Resource("v1", "events", "Event")
ENDPOINT_SLICES = Resource("discovery.k8s.io/v1", "endpointslices", "EndpointSlice")
LEASES = Resource("coordination.k8s.io/v1", "leases", "Lease")
# Checking a metrics client's token (kube/authn.py).
TOKEN_REVIEWS = Resource("authentication.k8s.io/v1", "tokenreviews", "TokenReview",
                         namespaced=False)
SUBJECT_ACCESS_REVIEWS = Resource("authorization.k8s.io/v1", "subjectaccessreviews",
                                  "SubjectAccessReview", namespaced=False)

METALLB = "metallb.io/v1beta1"
IP_ADDRESS_POOLS = Resource(METALLB, "ipaddresspools", "IPAddressPool")
L2_ADVERTISEMENTS = Resource(METALLB, "l2advertisements", "L2Advertisement")
BGP_ADVERTISEMENTS = Resource(METALLB, "bgpadvertisements", "BGPAdvertisement")
BGP_PEERS = Resource("metallb.io/v1beta2", "bgppeers", "BGPPeer")
BFD_PROFILES = Resource(METALLB, "bfdprofiles", "BFDProfile")
COMMUNITIES = Resource(METALLB, "communities", "Community")
SERVICE_L2_STATUSES = Resource(METALLB, "servicel2statuses", "ServiceL2Status")
CONFIGURATION_STATES = Resource(METALLB, "configurationstates", "ConfigurationState")


def merge_patch_status(client: KubeClient, resource: Resource, namespace: str | None,
                       name: str, body: Any, *, timeout: float | None = None,
                       field_manager: str | None = None, retry: bool = True) -> dict[str, Any]:
    """A JSON merge patch of an object's status subresource. A `metadata.resourceVersion` in
    `body` makes it conditional (409 if the object changed since). `field_manager` names the
    writer in managedFields (default: the apiserver derives it from the User-Agent);
    `retry=False`: one attempt bounded by `timeout` (see KubeClient.request)."""
    params = {"fieldManager": field_manager} if field_manager else None
    return client.request("PATCH", resource.status_path(namespace, name), params=params,
                          body=body, content_type=MERGE_PATCH, timeout=timeout, retry=retry)
