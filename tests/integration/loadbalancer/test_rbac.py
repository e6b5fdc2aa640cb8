"""runtime/deploy/baremetal-lb.yaml grants enough and no more: the controller and a speaker run
with nothing but their ServiceAccount tokens and do their whole job (no 403 anywhere). With
speaker-bgp.yaml's Role (which replaces the layer-2 one), a BGP speaker reads the password
Secret its BGPPeer names, by name (resourceNames), and nothing else. Both files are the
load_balancer role's template rendered (`make deploy-manifests`)."""

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
DEPLOY_BGP = DEPLOY.with_name("speaker-bgp.yaml")
RBAC_KINDS = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}


def _bgp_password_secret() -> str:
    """The Secret name speaker-bgp.yaml lets the speaker list and watch (the role's
    bgp_password_secret)."""
    (name,) = [n for d in yaml.safe_load_all(DEPLOY_BGP.read_text()) if d and d["kind"] == "Role"
               for rule in d["rules"] if "secrets" in rule["resources"]
               and rule["verbs"] == ["list", "watch"] for n in rule["resourceNames"]]
    return str(name)


def _rbac(namespace: str, suffix: str, paths: tuple[Path, ...]) -> list[dict[str, Any]]:
    """The RBAC of the deploy files, a later file's object replacing an earlier one of the same
    kind and name, moved to `namespace`; cluster-wide names get `suffix`."""
    merged = {(d["kind"], d["metadata"]["name"]): d for path in paths
              for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] in RBAC_KINDS}
    docs = list(merged.values())
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
    """The layer-2 RBAC (baremetal-lb.yaml) in a namespace of its own."""
    yield from _install(cluster, kube_api, (DEPLOY,))


@pytest.fixture
def rbac_bgp(cluster: Cluster, kube_api: Any) -> Iterator[str]:
    """The BGP RBAC: baremetal-lb.yaml, then speaker-bgp.yaml."""
    yield from _install(cluster, kube_api, (DEPLOY, DEPLOY_BGP))


def _install(cluster: Cluster, kube_api: Any, paths: tuple[Path, ...]) -> Iterator[str]:
    namespace = cluster.namespace("pools")
    docs = _rbac(namespace, cluster.run_id, paths)
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


def test_a_bgp_speaker_reads_its_password_secret_by_name(
        cluster: Cluster, rbac_bgp: str, kubeconfig: str, tmp_path: Path) -> None:
    """speaker-bgp.yaml grants list/watch on the BGP password Secret only: the speaker lists
    and watches it with a metadata.name field selector, which the apiserver authorizes against
    resourceNames. FRR is not running here: the engine's applies fail and are retried, which
    does not matter for what is read."""
    pools = rbac_bgp
    password_secret = _bgp_password_secret()
    cluster.core.create_namespaced_secret(pools, {
        "metadata": {"name": "baremetal-lb-heartbeat"},
        "stringData": {"key": secrets.token_hex(32)}})
    cluster.core.create_namespaced_secret(pools, {
        "metadata": {"name": password_secret}, "type": "kubernetes.io/basic-auth",
        "stringData": {"password": "by-name-only"}})
    cluster.core.create_namespaced_secret(pools, {
        "metadata": {"name": "someone-elses"}, "type": "kubernetes.io/basic-auth",
        "stringData": {"password": "not-for-the-speaker"}})
    cluster.custom.create_namespaced_custom_object(
        "metallb.io", "v1beta2", pools, "bgppeers",
        {"apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer", "metadata": {"name": "router"},
         "spec": {"myASN": 64513, "peerASN": 64512, "peerAddress": "198.51.100.1",
                  "passwordSecret": {"name": password_secret, "namespace": pools}}})
    speaker_kc = _token_kubeconfig(cluster, kubeconfig, pools, "baremetal-lb-speaker",
                                   tmp_path / "speaker.kubeconfig")
    speaker = SpeakerProcess("node1", speaker_kc, pools, None, f"t{cluster.run_id}.test/lb",
                             tmp_path, extra=["--bgp-engine", "frr",
                                              "--frr-dir", str(tmp_path / "no-frr")])
    try:
        state = eventually(lambda: _state(cluster, pools, "speaker-node1"), 30,
                           what=f"the speaker's ConfigurationState\n{speaker.log()}")
        peers = next(c for c in state["conditions"] if c["type"] == "BGPPeerValid")
        assert peers["status"] == "True", f"the password Secret was not read: {peers}"
        text = speaker.get("/metrics")[1]
        denied = [line for line in text.splitlines()
                  if "api_requests_total" in line and 'code="403"' in line]
        assert not denied, f"the speaker was refused by RBAC: {denied}\n{speaker.log()}"
        assert "not-for-the-speaker" not in speaker.log()
    finally:
        speaker.stop()


def _state(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        obj = cluster.custom.get_namespaced_custom_object(
            "metallb.io", "v1beta1", namespace, "configurationstates", name)
    except Exception:  # noqa: BLE001 - not there yet
        return None
    status = obj.get("status") or {}
    return status if status.get("conditions") else None
