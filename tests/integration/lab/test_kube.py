"""The lab's Kubernetes control plane is a real one: version, CRDs, Services, Nodes, kube-proxy.

Needs the session fixture `lab` (an exposure_lab.Lab with every service up).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

KUBE_MINOR = "37"


@pytest.fixture(scope="module")
def api(lab: Any) -> Iterator[Any]:
    info = lab.info("kube")
    assert info, "the kube service recorded nothing: is it up?"
    api_client = config.new_client_from_config(config_file=info["kubeconfig"])
    yield api_client
    api_client.close()


def _eventually(probe: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_version_is_1_37(api: Any, lab: Any) -> None:
    version = client.VersionApi(api).get_code()
    assert version.git_version.startswith(f"v1.{KUBE_MINOR}."), version.git_version
    assert (version.major, version.minor) == ("1", KUBE_MINOR)
    assert version.git_version == lab.info("kube")["version"]


def test_crd_and_custom_object(api: Any) -> None:
    ext = client.ApiextensionsV1Api(api)
    custom = client.CustomObjectsApi(api)
    group = f"t{uuid.uuid4().hex[:8]}.lab.example"
    name = f"widgets.{group}"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {"type": "object", "properties": {
                        "size": {"type": "integer"}, "colour": {"type": "string"}}}},
                }},
            }],
        },
    }
    ext.create_custom_resource_definition(crd)
    try:
        def established() -> bool:
            got = ext.read_custom_resource_definition(name)
            return any(c.type == "Established" and c.status == "True"
                       for c in (got.status.conditions or []))

        assert _eventually(established), "CRD never became Established"

        def create() -> bool:
            try:
                custom.create_namespaced_custom_object(group, "v1", "default", "widgets", {
                    "apiVersion": f"{group}/v1", "kind": "Widget",
                    "metadata": {"name": "w1"}, "spec": {"size": 3, "colour": "blue"},
                })
                return True
            except ApiException as exc:  # discovery of a fresh CRD may lag a moment
                if exc.status != 404:
                    raise
                return False

        assert _eventually(create), "could not create a custom object"
        obj = custom.get_namespaced_custom_object(group, "v1", "default", "widgets", "w1")
        assert obj["spec"] == {"size": 3, "colour": "blue"}
        listed = custom.list_namespaced_custom_object(group, "v1", "default", "widgets")
        assert [o["metadata"]["name"] for o in listed["items"]] == ["w1"]
    finally:
        ext.delete_custom_resource_definition(name)


def test_loadbalancer_service_is_accepted(api: Any) -> None:
    core = client.CoreV1Api(api)
    name = f"lb-{uuid.uuid4().hex[:6]}"
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
        },
    }
    created = core.create_namespaced_service("default", svc)
    try:
        assert created.spec.type == "LoadBalancer"
        # The lab's Service CIDR is RFC 2544 space (198.19.0.0/18), never routed anywhere.
        assert created.spec.cluster_ip and created.spec.cluster_ip.startswith("198.19.")
        assert created.spec.ports[0].node_port  # allocated, as on a real cluster
        # Nothing in the bare control plane assigns an external address: that is the point.
        assert not (created.status.load_balancer and created.status.load_balancer.ingress)
    finally:
        core.delete_namespaced_service(name, "default")


def test_nodes_ready_with_lab_addresses(api: Any, lab: Any) -> None:
    core = client.CoreV1Api(api)
    nodes = {n.metadata.name: n for n in core.list_node().items}
    hosts = lab.config.node_hosts
    assert set(nodes) >= {h.name for h in hosts}
    for host in hosts:
        node = nodes[host.name]
        ready = [c for c in node.status.conditions or [] if c.type == "Ready"]
        assert ready and ready[0].status == "True", f"{host.name} is not Ready"
        internal = [a.address for a in node.status.addresses if a.type == "InternalIP"]
        assert internal == [host.ipv4], f"{host.name}: {internal} != {host.ipv4}"
        assert node.metadata.labels["kubernetes.io/hostname"] == host.name


def test_kube_proxy_daemonset_rolled_out_kubeadm_style(api: Any, lab: Any) -> None:
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    n = len(lab.config.node_hosts)
    ds = apps.read_namespaced_daemon_set("kube-proxy", "kube-system")
    assert ds.status.desired_number_scheduled == n
    assert ds.status.number_ready == n
    assert ds.status.updated_number_scheduled == n
    # The locally built image (no registry here), the one `exposure-lab env` names.
    assert ds.spec.template.spec.containers[0].image == lab.info("nodes")["images"]["kube-proxy"]
    pods = core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-proxy").items
    assert sorted(p.spec.node_name for p in pods) == sorted(h.name for h in lab.config.node_hosts)
    assert all(p.status.phase == "Running" for p in pods)

    cm = core.read_namespaced_config_map("kube-proxy", "kube-system")
    conf = yaml.safe_load(cm.data["config.conf"])
    assert conf["kind"] == "KubeProxyConfiguration"
    # This kernel has no IPVS: the lab runs nftables; the ipvs section is there as kubeadm
    # writes it (strictARP: false), for the kube_proxy role to find.
    assert conf["mode"] == "nftables"
    assert conf["ipvs"]["strictARP"] is False
    kubeconfig = yaml.safe_load(cm.data["kubeconfig.conf"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == lab.info("kube")["server"]
