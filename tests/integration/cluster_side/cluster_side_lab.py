"""Helpers for the cluster-side roles against the lab's real cluster (kube_proxy,
load_balancer, ingress): the plan of the lab site, running a role, reading the cluster.

The roles get `exposure_plan` as an extra variable, built here the way the preflight builds it
for lab/inventory (docs/cluster-side.md), so these tests do not depend on the inventory's
cluster-side variables; tests/integration/cluster_side/test_site_stages.py runs the real
site.yml for that.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError

from exposure_lab import Lab
from exposure_lab.config import CLUSTER_ASN, ROUTER_ASN

from ansible_runner import AnsibleRunner, PlaybookResult

HERE = Path(__file__).parent
ROLE_PLAYBOOK = HERE / "playbooks" / "role.yml"
MANAGER = "baremetal.exposure"
OUR_LABELS = {"app.kubernetes.io/managed-by": MANAGER, "baremetal.exposure/site": "lab"}
LB_NAMESPACE = "metallb-system"
INGRESS_VIP = "198.51.100.200"


def eventually(probe: Callable[[], Any], timeout: float = 60, interval: float = 0.5,
               what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _range(first: str, last: str, version: int = 4) -> dict[str, Any]:
    return {"first": first, "last": last, "version": version}


def _pool(name: str, ranges: list[dict[str, Any]], announce: str = "layer2", purpose: str = "services",
          auto_assign: bool = True) -> dict[str, Any]:
    return {"name": name, "announce": announce, "purpose": purpose,
            "owner": f"Kubernetes load balancer, site lab, pool {name}", "auto_assign": auto_assign,
            "avoid_buggy_ips": False, "namespaces": [], "namespace_selectors": [],
            "service_selectors": [], "priority": None, "bgp": {"communities": [], "local_pref": None},
            "versions": sorted({r["version"] for r in ranges}), "ranges": ranges}


def lab_plan(lab: Lab, kubeconfig: str, images: dict[str, str], bgp: bool = False,
             ingress: dict[str, Any] | None = None, **load_balancer: Any) -> dict[str, Any]:
    """exposure_plan of the lab site (lab/inventory/group_vars/site_lab.yml) as the preflight
    makes it. Layer 2 only unless `bgp` (the routed pool needs FRR beside the speaker)."""
    cfg = lab.config
    pools = [
        _pool("ingress", [_range("198.51.100.200", "198.51.100.209")], purpose="ingress",
              auto_assign=False),
        _pool("services", [_range("198.51.100.180", "198.51.100.199"),
                           _range("2001:db8:100::1:0", "2001:db8:100::1:ff", 6)]),
    ]
    if bgp:
        pools.append(_pool("routed", [_range("203.0.113.0", "203.0.113.79")], announce="bgp"))
    plan: dict[str, Any] = {
        "site": "lab", "group": "site_lab", "nodes_group": "site_lab_nodes",
        "lan": [{"subnet": "198.51.100.0/24", "gateway": "198.51.100.1", "version": 4},
                {"subnet": "2001:db8:100::/64", "gateway": "2001:db8:100::1", "version": 6}],
        "nodes": [{"name": h.name, "addresses": [h.ipv4]} for h in cfg.node_hosts],
        "pools": pools,
        "kubernetes": {"kubeconfig": kubeconfig, "context": None, "validate_certs": True},
        "kube_proxy": {"manage": True, "namespace": "kube-system", "configmap": "kube-proxy",
                       "daemonset": "kube-proxy", "rollout_timeout": 180},
        "bgp": {"router_asn": ROUTER_ASN, "cluster_asn": CLUSTER_ASN, "password_set": False,
                "bfd": False, "hold_time": 9, "keepalive": 3, "ebgp_multihop": 0,
                "routers": [{"name": "router1", "addresses": [cfg.router.ipv4]}]} if bgp else None,
        "load_balancer": {
            "namespace": LB_NAMESPACE, "image": images["baremetal-lb"], "frr_image": images["frr"],
            "image_pull_policy": "IfNotPresent", "controller_replicas": 2,
            "load_balancer_class": None, "speaker_interfaces": [],
            "speaker_tolerate_control_plane": True, "heartbeat_secret": "baremetal-lb-heartbeat",
            "bgp_password_secret": "baremetal-lb-bgp",
            "bfd_profile": {"receive_interval": 300, "transmit_interval": 300, "detect_multiplier": 3},
            "migrate_from": "none", "import_legacy_configmap": False, "wait_timeout": 180,
            "needs_frr": bgp},
        "ingress": {"controller": "traefik", "api": "gateway", "pool": "ingress",
                    "vip": INGRESS_VIP, "namespace": "traefik", "image": images["traefik"],
                    "image_pull_policy": "IfNotPresent", "replicas": 2, "class_name": "traefik",
                    "wait_timeout": 180},
    }
    plan["load_balancer"].update(load_balancer)
    plan["ingress"].update(ingress or {})
    return plan


def run_role(ansible: AnsibleRunner, role: str, plan: dict[str, Any], tasks_from: str = "main",
             check: bool = False, extra: dict[str, Any] | None = None) -> PlaybookResult:
    variables = {"cluster_side_role": role, "cluster_side_tasks_from": tasks_from,
                 "exposure_plan": plan, **(extra or {})}
    return ansible.playbook(ROLE_PLAYBOOK, check=check, diff=True, extra_vars=variables)


def ok(result: PlaybookResult) -> PlaybookResult:
    assert result.rc == 0, "\n".join(result.failure_messages()) or result.stderr[-3000:]
    return result


def changed_items(result: PlaybookResult) -> dict[str, Any]:
    """What changed, for a failure message: each changed task, with the labels of its changed
    loop items and, per item, the keys of its diff (or its result's keys)."""
    found: dict[str, Any] = {}
    for play in result.plays:
        for task in play.get("tasks", []):
            for res in task["hosts"].values():
                if not res.get("changed"):
                    continue
                items = [item for item in res.get("results", []) if isinstance(item, dict)
                         and item.get("changed")]
                found[task["task"]["name"]] = [
                    {"item": item.get("_ansible_item_label"),
                     "diff": item.get("diff") or sorted(item)} for item in items] or res.get("diff")
    return found


def changed_tasks(result: PlaybookResult) -> set[str]:
    return {task["task"]["name"] for play in result.plays for task in play.get("tasks", [])
            for res in task["hosts"].values() if res.get("changed")}


class Kube:
    """The tests' own view of the cluster (the roles never use this)."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.dynamic = DynamicClient(api)
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)

    def resource(self, api_version: str, kind: str) -> Any:
        return self.dynamic.resources.get(api_version=api_version, kind=kind)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        """The object as a dict, or None."""
        try:
            return dict(self.resource(api_version, kind).get(name=name, namespace=namespace).to_dict())
        except NotFoundError:
            return None

    def objects(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict[str, Any]]:
        found = self.resource(api_version, kind).get(namespace=namespace, label_selector=label_selector)
        return list(found.to_dict().get("items") or [])

    def apply(self, obj: dict[str, Any], manager: str = "cluster-side-tests", force: bool = True) -> dict[str, Any]:
        meta = obj["metadata"]
        return dict(self.resource(obj["apiVersion"], obj["kind"]).server_side_apply(
            body=obj, name=meta["name"], namespace=meta.get("namespace"), field_manager=manager,
            force_conflicts=force).to_dict())

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        try:
            self.resource(api_version, kind).delete(name=name, namespace=namespace)
        except NotFoundError:
            pass

    def patch_status(self, obj: dict[str, Any], status: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self.core.patch_namespaced_service_status(meta["name"], meta["namespace"], {"status": status})

    def service_ips(self, namespace: str, name: str) -> list[str]:
        try:
            svc = self.core.read_namespaced_service_status(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return []
            raise
        balancer = svc.status.load_balancer if svc.status else None
        return [str(i.ip) for i in (balancer.ingress or [])] if balancer else []

    def wait_gone(self, api_version: str, kind: str, name: str, namespace: str | None = None,
                  timeout: float = 120) -> None:
        eventually(lambda: self.get(api_version, kind, name, namespace) is None, timeout,
                   what=f"{kind} {namespace}/{name} deleted")

    def wait_no_namespace_terminating(self, timeout: float = 180) -> None:
        """Other tests delete their namespaces without waiting, and a terminating namespace
        still changes: a snapshot taken meanwhile would differ for reasons not ours."""
        eventually(lambda: not [n for n in self.objects("v1", "Namespace")
                                if (n.get("status") or {}).get("phase") == "Terminating"],
                   timeout, what="no namespace terminating")

    def snapshot(self, namespaces: list[str]) -> dict[str, Any]:
        """What the roles may change, as comparable data (no resourceVersions or timestamps)."""
        kinds = [("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"), ("v1", "ServiceAccount"),
                 ("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"),
                 ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
                 ("policy/v1", "PodDisruptionBudget")]
        cluster_kinds = [("v1", "Namespace"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                         ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
                         ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
                         ("networking.k8s.io/v1", "IngressClass"),
                         ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")]
        seen: dict[str, Any] = {}
        for api_version, kind in cluster_kinds:
            for obj in self.objects(api_version, kind):
                seen[f"{kind}/{obj['metadata']['name']}"] = _comparable(obj)
        for namespace in namespaces:
            for api_version, kind in kinds:
                for obj in self.objects(api_version, kind, namespace):
                    seen[f"{kind}/{namespace}/{obj['metadata']['name']}"] = _comparable(obj)
        for obj in self.objects("v1", "Service"):
            seen[f"ServiceStatus/{obj['metadata']['namespace']}/{obj['metadata']['name']}"] = obj.get("status")
        return seen


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata", {})
    for key in ("resourceVersion", "managedFields", "generation", "uid", "creationTimestamp"):
        meta.pop(key, None)
    obj.pop("status", None)
    return obj


def http_from_client(lab: Lab, url: str, host: str | None = None, timeout: float = 5) -> tuple[int, str]:
    """An HTTP GET from the LAN client namespace (xl-client): (status, body)."""
    code = (
        "import sys, urllib.request, urllib.error\n"
        "req = urllib.request.Request(sys.argv[1], headers={'Host': sys.argv[2]} if sys.argv[2] else {})\n"
        "try:\n"
        "    r = urllib.request.urlopen(req, timeout=float(sys.argv[3])); print(r.status); print(r.read().decode())\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code); print(e.read().decode())\n"
    )
    done = lab.run([sys.executable, "-c", code, url, host or "", str(timeout)],
                   netns=lab.config.client.netns, check=False, timeout=timeout + 10)
    if done.returncode != 0:
        return 0, done.stderr
    status, _, body = done.stdout.partition("\n")
    return int(status), body


def backend(namespace: str, image: str, name: str = "echo") -> list[dict[str, Any]]:
    """A small HTTP backend (our runtime image's python3) that answers with its pod's name."""
    labels = {"app": name}
    server = ("import http.server, os\n"
              "class H(http.server.BaseHTTPRequestHandler):\n"
              "    def do_GET(self):\n"
              "        body = ('backend ' + os.environ['POD_NAME'] + '\\n').encode()\n"
              "        self.send_response(200); self.send_header('Content-Length', str(len(body)))\n"
              "        self.end_headers(); self.wfile.write(body)\n"
              "http.server.ThreadingHTTPServer(('', 8080), H).serve_forever()\n")
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": name, "namespace": namespace},
         "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                      "name": "http", "image": image, "imagePullPolicy": "IfNotPresent",
                      "command": ["python3", "-c", server],
                      "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                      "ports": [{"name": "http", "containerPort": 8080}],
                      "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
         "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
    ]


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
