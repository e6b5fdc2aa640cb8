"""The resource table: every path the runtime uses comes from here."""

from __future__ import annotations

import pytest

from baremetal_lb.kube import resources as r


@pytest.mark.parametrize("path,expected", [
    (r.SERVICES.path(), "/api/v1/services"),
    (r.SERVICES.status_path("apps", "web"), "/api/v1/namespaces/apps/services/web/status"),
    (r.NODES.path(), "/api/v1/nodes"),
    (r.ENDPOINT_SLICES.path(), "/apis/discovery.k8s.io/v1/endpointslices"),
    (r.IP_ADDRESS_POOLS.path("metallb-system"),
     "/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools"),
    (r.BGP_PEERS.path("lb"), "/apis/metallb.io/v1beta2/namespaces/lb/bgppeers"),
    (r.CONFIGURATION_STATES.status_path("lb", "speaker-n1"),
     "/apis/metallb.io/v1beta1/namespaces/lb/configurationstates/speaker-n1/status"),
    (r.LEASES.path("lb", "ctl"), "/apis/coordination.k8s.io/v1/namespaces/lb/leases/ctl"),
])
def test_paths(path: str, expected: str) -> None:
    assert path == expected


def test_a_cluster_scoped_resource_has_no_namespace() -> None:
    with pytest.raises(ValueError, match="Node is cluster-scoped"):
        r.NODES.path("lb")
