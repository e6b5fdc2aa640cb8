"""The ingress role on the lab: Traefik behind the planned VIP, reached from the LAN client
(xl-client) through an HTTPRoute and through an Ingress; ingress-nginx (whose image cannot be
built here) checked by a server-side dry run of everything the role would apply.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ansible_runner import COLLECTION_LINK
from cluster_side_lab import INGRESS_VIP, Kube, backend, changed_items, eventually, http_from_client, ok, run_role

GATEWAY = "gateway.networking.k8s.io/v1"


@pytest.fixture(scope="module")
def ingress(installed: Any, ansible: Any) -> dict[str, Any]:
    plan = installed.plan
    first = ok(run_role(ansible, "ingress", plan))
    second = ok(run_role(ansible, "ingress", plan))
    check = ok(run_role(ansible, "ingress", plan, check=True))
    return {"plan": plan, "first": first, "second": second, "check": check}


@pytest.fixture(scope="module")
def app(ingress: Any, kube: Kube, images: dict[str, str]) -> Iterator[str]:
    namespace = f"web-{uuid.uuid4().hex[:6]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    for obj in backend(namespace, images["baremetal-lb"]):
        kube.apply(obj)
    eventually(lambda: (kube.get("apps/v1", "Deployment", "echo", namespace) or {})
               .get("status", {}).get("availableReplicas") == 2, 120, what="backend ready")
    yield namespace
    kube.delete("v1", "Namespace", namespace)
    # Gone before the next module snapshots the cluster (a terminating namespace still changes).
    kube.wait_gone("v1", "Namespace", namespace, timeout=180)


def test_a_second_run_and_check_mode_change_nothing(ingress: Any) -> None:
    assert ingress["first"].rc == 0
    assert ingress["second"].changed == 0, changed_items(ingress["second"])
    assert ingress["check"].changed == 0, changed_items(ingress["check"])


def test_the_service_holds_the_planned_vip(ingress: Any, kube: Kube) -> None:
    assert kube.service_ips("traefik", "traefik") == [INGRESS_VIP]
    deployment = kube.get("apps/v1", "Deployment", "traefik", "traefik")
    assert deployment["status"].get("availableReplicas") == 2
    gateway = kube.get(GATEWAY, "Gateway", "traefik-gateway", "traefik")
    programmed = [c for c in gateway["status"]["conditions"] if c["type"] == "Programmed"]
    assert programmed and programmed[0]["status"] == "True"


def test_a_client_reaches_the_backend_through_an_httproute(ingress: Any, kube: Kube, lab: Any, app: str) -> None:
    kube.apply({"apiVersion": GATEWAY, "kind": "HTTPRoute", "metadata": {"name": "echo", "namespace": app},
                "spec": {"parentRefs": [{"name": "traefik-gateway", "namespace": "traefik"}],
                         "hostnames": ["route.lab.example"],
                         "rules": [{"backendRefs": [{"name": "echo", "port": 80}]}]}})
    status, body = eventually(
        lambda: (lambda r: r if r[0] == 200 else None)(
            http_from_client(lab, f"http://{INGRESS_VIP}/", "route.lab.example")),
        60, what="HTTP 200 through the HTTPRoute")
    assert body.startswith("backend echo-")


def test_a_client_reaches_the_backend_through_an_ingress(ingress: Any, kube: Kube, lab: Any, app: str) -> None:
    kube.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": "echo", "namespace": app},
                "spec": {"ingressClassName": "traefik", "rules": [{
                    "host": "ingress.lab.example",
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                        "service": {"name": "echo", "port": {"number": 80}}}}]}}]}})
    status, body = eventually(
        lambda: (lambda r: r if r[0] == 200 else None)(
            http_from_client(lab, f"http://{INGRESS_VIP}/", "ingress.lab.example")),
        60, what="HTTP 200 through the Ingress")
    assert body.startswith("backend echo-")
    # Traefik publishes the VIP in the Ingress's status.
    eventually(lambda: [i.get("ip") for i in (kube.get("networking.k8s.io/v1", "Ingress", "echo", app)
                                              .get("status", {}).get("loadBalancer", {}).get("ingress") or [])]
               == [INGRESS_VIP], 30, what="the Ingress status")


def _render(requests: list[dict[str, Any]]) -> dict[str, Any]:
    script = COLLECTION_LINK / "tests" / "unit" / "roles" / "render.py"
    done = subprocess.run([sys.executable, str(script)], input=json.dumps(requests),
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def test_ingress_nginx_passes_a_server_side_dry_run(installed: Any, kube: Kube) -> None:
    namespace = f"nginx-{uuid.uuid4().hex[:6]}"
    plan = copy.deepcopy(installed.plan)
    plan["ingress"].update(controller="ingress-nginx", api="ingress", namespace=namespace,
                           image="registry.k8s.io/ingress-nginx/controller:v1.15.1",
                           class_name=f"nginx-{namespace}")
    rendered = _render([{"key": "objects", "role": "ingress", "expression": "{{ __ingress_objects }}",
                         "plan": plan}])["objects"]
    assert "error" not in rendered, rendered
    kinds = [o["kind"] for o in rendered]
    assert kinds == ["Namespace", "ServiceAccount", "ConfigMap", "ClusterRole", "ClusterRoleBinding",
                     "Role", "RoleBinding", "IngressClass", "Deployment", "PodDisruptionBudget", "Service"]
    # The namespace for real (a dry-run object cannot live in a namespace that does not exist),
    # everything else dry-run only: validated and admitted by the apiserver, never stored.
    kube.apply(rendered[0], manager="baremetal.exposure")
    try:
        for obj in rendered[1:]:
            meta = obj["metadata"]
            kube.resource(obj["apiVersion"], obj["kind"]).server_side_apply(
                body=obj, name=meta["name"], namespace=meta.get("namespace"),
                field_manager="baremetal.exposure", force_conflicts=True, dry_run="All")
            assert kube.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")) is None
    finally:
        kube.delete("v1", "Namespace", namespace)
