"""runtime/deploy/baremetal-lb.yaml grants enough and no more: the controller and a speaker run
with nothing but their ServiceAccount tokens and do their whole job (no 403 anywhere)."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Cluster, ControllerProcess, eventually
from speaker_lab import SpeakerProcess, endpoint_slice

DEPLOY = Path(__file__).parents[3] / "runtime" / "deploy" / "baremetal-lb.yaml"
RBAC_KINDS = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}


def _rbac(namespace: str, suffix: str) -> list[dict[str, Any]]:
    """The deploy file's RBAC, moved to `namespace`; cluster-wide names get `suffix`."""
    docs = [d for d in yaml.safe_load_all(DEPLOY.read_text()) if d and d["kind"] in RBAC_KINDS]
    result = []
    for doc in copy.deepcopy(docs):
        meta = doc["metadata"]
        if doc["kind"].startswith("Cluster"):
            meta["name"] += f"-{suffix}"
            if "roleRef" in doc:
                doc["roleRef"]["name"] += f"-{suffix}"
        else:
            meta["namespace"] = namespace
        for subject in doc.get("subjects", ()):
            subject["namespace"] = namespace
        result.append(doc)
    return result


def _token_kubeconfig(cluster: Cluster, admin_kubeconfig: str, namespace: str, account: str,
                      path: Path) -> str:
    token = cluster.core.create_namespaced_service_account_token(
        account, namespace, {"spec": {"expirationSeconds": 3600}}).status.token
    admin = yaml.safe_load(Path(admin_kubeconfig).read_text())
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "clusters": admin["clusters"],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": account, "context": {"cluster": admin["clusters"][0]["name"],
                                                   "user": account}}],
        "current-context": account}))
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def rbac(cluster: Cluster, kube_api: Any) -> Iterator[str]:
    namespace = cluster.namespace("pools")
    docs = _rbac(namespace, cluster.run_id)
    dynamic = __import__("kubernetes").dynamic.DynamicClient(kube_api)
    created = []
    try:
        for doc in docs:
            resource = dynamic.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
            resource.create(body=doc, namespace=doc["metadata"].get("namespace"))
            created.append((resource, doc))
        yield namespace
    finally:
        for resource, doc in created:
            if doc["kind"].startswith("Cluster"):
                resource.delete(name=doc["metadata"]["name"])


def test_controller_and_speaker_work_with_their_rbac_only(
        cluster: Cluster, rbac: str, kubeconfig: str, tmp_path: Path) -> None:
    pools, apps = rbac, cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    cluster.pool(pools, "lan", {"addresses": ["198.51.100.240/29"]})
    cluster.custom.create_namespaced_custom_object(
        "metallb.io", "v1beta1", pools, "l2advertisements",
        {"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
         "metadata": {"name": "lan"}, "spec": {}})
    cluster.core.create_namespaced_secret(pools, {
        "metadata": {"name": "baremetal-lb-heartbeat"},
        "stringData": {"key": secrets.token_hex(32)}})

    controller_kc = _token_kubeconfig(cluster, kubeconfig, pools, "baremetal-lb-controller",
                                      tmp_path / "controller.kubeconfig")
    controller = ControllerProcess(controller_kc, pools, tmp_path, lb_class=lb_class,
                                   claim_unclassed=False, leader_elect=True, identity="rbac")
    speaker_kc = _token_kubeconfig(cluster, kubeconfig, pools, "baremetal-lb-speaker",
                                   tmp_path / "speaker.kubeconfig")
    speaker = SpeakerProcess("node1", speaker_kc, pools, None, lb_class, tmp_path)
    try:
        controller.wait_leading()
        eventually(lambda: speaker.get("/readyz")[0] == 200 or not speaker.alive(), 30,
                   what="the speaker ready")
        assert speaker.alive(), speaker.log()

        cluster.service(apps, "web", lb_class=lb_class)
        discovery = __import__("kubernetes").client.DiscoveryV1Api(cluster.api)
        discovery.create_namespaced_endpoint_slice(apps, endpoint_slice("web", ["node1"]))
        assert eventually(lambda: cluster.ips(apps, "web"), 20, what="an IP") == \
            ["198.51.100.240"]
        eventually(lambda: cluster.events(apps, "web", "IPAllocated"), 10, what="IPAllocated")
        eventually(lambda: cluster.events(apps, "web", "nodeAssigned"), 10, what="nodeAssigned")
        status = eventually(lambda: cluster.custom.get_namespaced_custom_object(
            "metallb.io", "v1beta1", apps, "servicel2statuses", "web").get("status"), 10,
            what="ServiceL2Status")
        assert status["node"] == "node1"
        eventually(lambda: cluster.get_pool(pools, "lan").get("status", {}).get("assignedIPv4")
                   == 1, 10, what="pool status")
        for name, process in (("controller", controller), ("speaker", speaker)):
            text = process.get("/metrics")[1]
            denied = [line for line in text.splitlines()
                      if "api_requests_total" in line and 'code="403"' in line]
            assert not denied, f"{name} was refused by RBAC: {denied}\n{process.log()}"
    finally:
        speaker.stop()
        controller.stop()
