"""service_request and is_ours against services.yaml and ownership.yaml."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.allocator import ServiceRequest
from baremetal_lb.config import ConfigError, is_ours, service_request

HERE = Path(__file__).parent
SERVICES = yaml.safe_load((HERE / "services.yaml").read_text())
OWNERSHIP = yaml.safe_load((HERE / "ownership.yaml").read_text())

BASE: dict[str, Any] = {
    "metadata": {"name": "frontend", "namespace": "web", "labels": {"app": "frontend"}},
    "spec": {
        "type": "LoadBalancer",
        "clusterIP": "10.96.0.10",
        "ipFamilies": ["IPv4"],
        "selector": {"app": "frontend"},
        "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
    },
}


def service(overrides: dict[str, Any]) -> dict[str, Any]:
    svc = copy.deepcopy(BASE)
    for part, fields in overrides.items():
        svc.setdefault(part, {}).update(fields)
    return svc


def plain(req: ServiceRequest) -> dict[str, Any]:
    return {
        "key": req.key,
        "namespace": req.namespace,
        "labels": dict(req.labels),
        "namespace_labels": dict(req.namespace_labels),
        "pool": req.pool,
        "requested_ips": [str(ip) for ip in req.requested_ips],
        "families": list(req.families),
        "family_policy": req.family_policy,
        "sharing_key": req.sharing_key,
        "ports": sorted(f"{p.protocol}/{p.port}" for p in req.ports),
        "local_traffic": req.local_traffic,
        "selector": dict(req.selector),
        "current_ips": [str(ip) for ip in req.current_ips],
    }


@pytest.mark.parametrize("case", SERVICES, ids=[c["name"] for c in SERVICES])
def test_service_request(case: dict[str, Any]) -> None:
    svc = service(case["service"])
    if "error" in case:
        with pytest.raises(ConfigError) as err:
            service_request(svc, {})
        for words in case["error"]:
            assert words in str(err.value)
        return
    got = plain(service_request(svc, case.get("namespace_labels", {})))
    assert {k: got[k] for k in case["expect"]} == case["expect"]


@pytest.mark.parametrize("case", OWNERSHIP, ids=[str(c) for c in OWNERSHIP])
def test_is_ours(case: dict[str, Any]) -> None:
    svc = service({"spec": {"type": case["type"], "loadBalancerClass": case["class"]}})
    assert is_ours(svc, case["lb_class"], case["claim_unclassed"]) is case["ours"]
