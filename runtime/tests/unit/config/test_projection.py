"""What the components keep of each watched object (one projection per kind)."""

from __future__ import annotations

import base64

from baremetal_lb.config import service_request
from baremetal_lb.config.projection import slim_endpoint_slice, slim_metallb, slim_node, slim_secret, slim_service

SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "apps", "uid": "u-1", "resourceVersion": "7",
                 "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": "web"},
                 "managedFields": [{"manager": "kubectl"}],
                 "annotations": {"metallb.io/address-pool": "lan",
                                 "kubectl.kubernetes.io/last-applied-configuration": "{...}"}},
    "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": {"app": "web"},
             "ipFamilies": ["IPv4"], "clusterIP": "10.96.0.1",
             "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}]},
    "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.240"}]}},
}


def test_the_speaker_keeps_only_what_announcing_reads() -> None:
    slim = slim_service(SERVICE)
    assert slim["metadata"] == {"name": "web", "namespace": "apps", "uid": "u-1",
                                "resourceVersion": "7"}
    assert slim["spec"] == {"type": "LoadBalancer", "externalTrafficPolicy": "Local"}
    assert slim["status"] == SERVICE["status"]


def test_the_controller_keeps_what_allocation_reads() -> None:
    slim = slim_service(SERVICE, allocation=True)
    assert slim["metadata"]["annotations"] == {"metallb.io/address-pool": "lan"}
    assert slim["spec"]["ports"] == [{"port": 80, "protocol": "TCP"}]
    assert "clusterIP" not in slim["spec"]
    assert service_request(slim, {}) == service_request(SERVICE, {})


def test_metallb_objects_secrets_nodes_and_slices() -> None:
    pool = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": "p", "managedFields": [], "annotations": {"a": "b"}},
            "spec": {"addresses": ["10.0.0.0/24"]}, "status": {"assignedIPv4": 1}}
    assert slim_metallb(pool) == {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                                  "metadata": {"name": "p"}, "spec": pool["spec"],
                                  "status": {"assignedIPv4": 1}}
    secret = {"metadata": {"name": "pw", "namespace": "lb"}, "type": "kubernetes.io/basic-auth",
              "data": {"password": base64.b64encode(b"s3cret").decode(), "username": "eA=="}}
    assert slim_secret(secret) == {"metadata": {"name": "pw", "namespace": "lb"},
                                   "password": "s3cret"}
    node = {"metadata": {"name": "n1", "labels": {"a": "b"}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert slim_node(node) == {"metadata": {"name": "n1", "labels": {"a": "b"}}, "ready": True}
    piece = {"metadata": {"name": "web-x", "namespace": "apps",
                          "labels": {"kubernetes.io/service-name": "web"}},
             "endpoints": [{"nodeName": "n1"}, {"nodeName": "n2", "conditions": {"ready": False}}]}
    assert slim_endpoint_slice(piece)["ready_nodes"] == ["n1"]
