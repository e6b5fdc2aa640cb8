"""Another load balancer in the cluster: MetalLB is refused without a change, and migrated
from with every Service keeping its IP.

MetalLB is simulated on the lab's real nodes: its controller Deployment and speaker DaemonSet
(labelled as MetalLB's manifests label them, running pause containers: no MetalLB image can be
built here), its RBAC, webhook Service and ValidatingWebhookConfiguration (failurePolicy Fail,
so any metallb.io write fails while it exists, as with a stopped MetalLB controller), its CRDs
(the same schemas, without our labels, BGPPeer with its conversion webhook), its pool and
L2Advertisement, and LoadBalancer Services whose status holds the IPs MetalLB gave them.
Our installation is removed first; the migration installs it again.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_side_lab import LB_NAMESPACE, Kube, changed_tasks, eventually, lab_plan, ok, run_role

# Outside `make test` (CI time): MetalLB refused and migrated, for CRDs and the legacy ConfigMap: four full installs.
pytestmark = pytest.mark.long

CRD = "apiextensions.k8s.io/v1"
ROLE_CRDS = Path(__file__).resolve().parents[3] / "roles" / "load_balancer" / "files" / "crds"
METALLB = "metallb.io/v1beta1"
SERVICE_IPS = {"web": "198.51.100.185", "api": "198.51.100.186", "shop": "198.51.100.190"}
LEGACY = """\
address-pools:
- name: legacy
  protocol: layer2
  addresses: [198.51.100.180-198.51.100.199]
"""


def _remove_ours(kube: Kube) -> None:
    kube.delete("v1", "Namespace", LB_NAMESPACE)
    for kind in ("ClusterRole", "ClusterRoleBinding"):
        for name in ("baremetal-lb-controller", "baremetal-lb-speaker"):
            kube.delete("rbac.authorization.k8s.io/v1", kind, name)
    kube.wait_gone("v1", "Namespace", LB_NAMESPACE, timeout=180)


def _crds_as_metallb_installs_them(kube: Kube) -> None:
    """The metallb.io CRDs (the role's copies: same schemas) as MetalLB's manifests leave them:
    no labels of ours, controller-gen's annotation, bgppeers converted by MetalLB's webhook.
    Created when absent (a fresh cluster), replaced when present, and awaited until
    Established so that the fixture's objects can be written at once."""
    api = kube.resource(CRD, "CustomResourceDefinition")
    for path in sorted(ROLE_CRDS.glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        name = body["metadata"]["name"]
        body["metadata"]["labels"] = {}
        body["metadata"]["annotations"] = {"controller-gen.kubebuilder.io/version": "v0.16.3"}
        if name == "bgppeers.metallb.io":
            body["spec"]["conversion"] = {"strategy": "Webhook", "webhook": {
                "conversionReviewVersions": ["v1", "v1beta1"],
                "clientConfig": {"service": {"name": "metallb-webhook-service",
                                             "namespace": LB_NAMESPACE, "path": "/convert"}}}}
        existing = kube.get(CRD, "CustomResourceDefinition", name)
        if existing is None:
            api.create(body=body)
        else:
            body["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
            api.replace(body=body)
        eventually(lambda name=name: any(
            c["type"] == "Established" and c["status"] == "True" for c in
            ((kube.get(CRD, "CustomResourceDefinition", name) or {}).get("status") or {})
            .get("conditions") or []), 60, what=f"{name} established")


def _metallb(kube: Kube, pause: str, legacy: bool) -> None:
    meta = {"namespace": LB_NAMESPACE, "labels": {"app": "metallb"}}
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": LB_NAMESPACE}}, manager="kubectl")
    for name in ("controller", "speaker"):
        kube.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, **meta}},
                   manager="kubectl")
    kube.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "metallb-system:controller", "labels": {"app": "metallb"}},
                "rules": [{"apiGroups": [""], "resources": ["services"], "verbs": ["get"]}]}, manager="kubectl")
    pod = {"containers": [{"name": "pause", "image": pause, "imagePullPolicy": "IfNotPresent"}],
           "tolerations": [{"operator": "Exists"}]}
    kube.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "controller", **meta, "labels": {"app": "metallb", "component": "controller"}},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "metallb", "component": "controller"}},
                         "template": {"metadata": {"labels": {"app": "metallb", "component": "controller"}},
                                      "spec": pod}}}, manager="kubectl")
    kube.apply({"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "speaker", **meta, "labels": {"app": "metallb", "component": "speaker"}},
                "spec": {"selector": {"matchLabels": {"app": "metallb", "component": "speaker"}},
                         "template": {"metadata": {"labels": {"app": "metallb", "component": "speaker"}},
                                      "spec": pod}}}, manager="kubectl")
    kube.apply({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "metallb-webhook-service", "namespace": LB_NAMESPACE},
                "spec": {"selector": {"component": "controller"}, "ports": [{"port": 443, "targetPort": 9443}]}},
               manager="kubectl")
    if legacy:
        kube.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config", "namespace": LB_NAMESPACE},
                    "data": {"config": LEGACY}}, manager="kubectl")
    else:
        kube.apply({"apiVersion": METALLB, "kind": "IPAddressPool",
                    "metadata": {"name": "services", "namespace": LB_NAMESPACE},
                    "spec": {"addresses": ["198.51.100.180-198.51.100.199"]}}, manager="kubectl")
        kube.apply({"apiVersion": METALLB, "kind": "L2Advertisement",
                    "metadata": {"name": "l2", "namespace": LB_NAMESPACE}, "spec": {}}, manager="kubectl")
    # Last: from here on, no metallb.io object can be written until the webhook is gone.
    kube.apply({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                "metadata": {"name": "metallb-webhook-configuration"},
                "webhooks": [{"name": "ipaddresspoolvalidationwebhook.metallb.io",
                              "admissionReviewVersions": ["v1"], "sideEffects": "None",
                              "failurePolicy": "Fail", "timeoutSeconds": 2,
                              "clientConfig": {"service": {"name": "metallb-webhook-service",
                                                           "namespace": LB_NAMESPACE,
                                                           "path": "/validate-metallb-io-v1beta1-ipaddresspool"}},
                              "rules": [{"apiGroups": ["metallb.io"], "apiVersions": ["v1beta1"],
                                         "operations": ["CREATE", "UPDATE"],
                                         "resources": ["ipaddresspools"]}]}]}, manager="kubectl")


@pytest.fixture(params=["crds", "legacy"])
def metallb(request: Any, kube: Kube, images: dict[str, str], uninstall: None) -> Iterator[dict[str, Any]]:
    """MetalLB as a cluster would hold it, and Services whose IPs it allocated."""
    _remove_ours(kube)
    _crds_as_metallb_installs_them(kube)
    _metallb(kube, images["pause"], legacy=request.param == "legacy")
    namespace = f"apps-{uuid.uuid4().hex[:6]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    for name, ip in SERVICE_IPS.items():
        svc = kube.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
                          "spec": {"type": "LoadBalancer", "selector": {"app": name},
                                   "ports": [{"port": 80, "protocol": "TCP"}]}})
        kube.patch_status(svc, {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}})
    yield {"namespace": namespace, "legacy": request.param == "legacy"}
    kube.delete("v1", "Namespace", namespace)
    kube.delete("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "metallb-webhook-configuration")


class IpWatch:
    """Polls the Services' IPs in a thread for as long as the migration runs."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        self.kube, self.namespace = kube, namespace
        self.seen: list[dict[str, list[str]]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            self.seen.append({name: self.kube.service_ips(self.namespace, name) for name in SERVICE_IPS})
            time.sleep(0.2)

    def __enter__(self) -> IpWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()


def test_metallb_is_refused_before_any_change(lab: Any, ansible: Any, kube: Kube, kubeconfig: str,
                                              images: dict[str, str], metallb: dict[str, Any]) -> None:
    kube.wait_no_namespace_terminating()
    before = kube.snapshot([LB_NAMESPACE, metallb["namespace"]])
    plan = lab_plan(lab, kubeconfig, images)
    for entry in ("main", "pools"):
        result = run_role(ansible, "load_balancer", plan, entry)
        assert result.rc != 0
        (message,) = [m for m in result.failure_messages() if "another LoadBalancer implementation" in m]
        assert "MetalLB (Deployment metallb-system/controller; DaemonSet metallb-system/speaker" in message
        assert "exposure_load_balancer.migrate_from: metallb" in message
    assert kube.snapshot([LB_NAMESPACE, metallb["namespace"]]) == before


def test_migration_keeps_every_service_ip(lab: Any, ansible: Any, kube: Kube, kubeconfig: str,
                                          images: dict[str, str], metallb: dict[str, Any]) -> None:
    plan = lab_plan(lab, kubeconfig, images, migrate_from="metallb",
                    import_legacy_configmap=metallb["legacy"])
    if metallb["legacy"]:
        # The inventory names the pool as the legacy ConfigMap did, so the pools stage adopts
        # the imported one instead of adding an overlapping pool (which the canary would catch).
        for pool in plan["pools"]:
            if pool["name"] == "services":
                pool["name"] = "legacy"
    check = ok(run_role(ansible, "load_balancer", plan, check=True))
    assert check.changed > 0
    assert kube.get("apps/v1", "Deployment", "controller", LB_NAMESPACE)["spec"]["replicas"] == 1

    with IpWatch(kube, metallb["namespace"]) as watch:
        first = ok(run_role(ansible, "load_balancer", plan))
        pools = ok(run_role(ansible, "load_balancer", plan, "pools"))
        time.sleep(5)  # the new controller is leading and has looked at every Service
    expected = {name: [ip] for name, ip in SERVICE_IPS.items()}
    assert watch.seen and all(seen == expected for seen in watch.seen), [
        s for s in watch.seen if s != expected][:3]

    # MetalLB is gone; its configuration stays; our components run.
    assert kube.get("apps/v1", "Deployment", "controller", LB_NAMESPACE) is None
    assert kube.get("apps/v1", "DaemonSet", "speaker", LB_NAMESPACE) is None
    assert kube.get("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration",
                    "metallb-webhook-configuration") is None
    assert kube.get("rbac.authorization.k8s.io/v1", "ClusterRole", "metallb-system:controller") is None
    bgppeers = kube.get(CRD, "CustomResourceDefinition", "bgppeers.metallb.io")
    assert bgppeers["spec"]["conversion"]["strategy"] == "None"
    assert bgppeers["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "baremetal.exposure"
    carried = "legacy" if metallb["legacy"] else "l2"
    kind = "IPAddressPool" if metallb["legacy"] else "L2Advertisement"
    assert kube.get(METALLB, kind, carried, LB_NAMESPACE) is not None
    ready = kube.get("apps/v1", "Deployment", "baremetal-lb-controller", LB_NAMESPACE)["status"]
    assert ready.get("availableReplicas") == 2
    assert "baremetal.exposure.load_balancer : migrate_after | Remove MetalLB's speaker (ours announce now)" \
        in changed_tasks(first)
    adopted = kube.get(METALLB, "IPAddressPool", "legacy" if metallb["legacy"] else "services", LB_NAMESPACE)
    assert adopted["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "baremetal.exposure"
    assert pools.changed > 0

    # Our controller holds the IPs: a restart of every replica keeps them too.
    for pod in kube.objects("v1", "Pod", LB_NAMESPACE, "app.kubernetes.io/component=controller"):
        kube.delete("v1", "Pod", pod["metadata"]["name"], LB_NAMESPACE)
    eventually(lambda: (kube.get("apps/v1", "Deployment", "baremetal-lb-controller", LB_NAMESPACE)
                        ["status"].get("availableReplicas") == 2), 120, what="controller back")
    time.sleep(5)
    assert {name: kube.service_ips(metallb["namespace"], name) for name in SERVICE_IPS} == expected

    again = ok(run_role(ansible, "load_balancer", plan))
    assert again.changed == 0, changed_tasks(again)
