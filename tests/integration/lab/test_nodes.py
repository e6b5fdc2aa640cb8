"""The lab's nodes are real: kubelet + containerd per node namespace, pods from locally built
images, kube-proxy from its ConfigMap, and traffic that really flows.

- nodes register under the inventory's names with their LAN address as InternalIP, Ready;
- a Deployment and a DaemonSet roll out on them (the scheduler places the Deployment);
- a pod on node1 reaches a pod on node3 through a ClusterIP;
- a NodePort answers from xl-client, on every node, whichever node holds the pod;
- a changed kube-proxy ConfigMap plus a rollout changes the mode the proxies run in.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from exposure_lab import Lab

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config  # noqa: E402


@pytest.fixture(scope="module")
def api(lab: Lab) -> Iterator[Any]:
    info = lab.info("nodes")
    assert info, "the nodes service recorded nothing: is it up?"
    api_client = config.new_client_from_config(config_file=lab.info("kube")["kubeconfig"])
    yield api_client
    api_client.close()


@pytest.fixture
def namespace(api: Any) -> Iterator[str]:
    core = client.CoreV1Api(api)
    name = f"nodes-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


def _eventually(probe: Any, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def _backend(lab: Lab) -> str:
    return str(lab.info("nodes")["images"]["http-backend"])


def _container(image: str, **extra: Any) -> dict[str, Any]:
    env = [{"name": var, "valueFrom": {"fieldRef": {"fieldPath": path}}}
           for var, path in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"),
                             ("NODE_NAME", "spec.nodeName"), ("POD_IP", "status.podIP"))]
    return {"name": "web", "image": image, "imagePullPolicy": "IfNotPresent", "env": env,
            "ports": [{"containerPort": 8080}],
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                               "periodSeconds": 1}, **extra}


def _pods(api: Any, namespace: str, selector: str) -> list[Any]:
    return list(client.CoreV1Api(api).list_namespaced_pod(namespace,
                                                          label_selector=selector).items)


def _ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def _curl_from_client(lab: Lab, url: str) -> str:
    out = lab.run(["curl", "-sS", "--max-time", "3", url], netns=lab.config.client.netns,
                  check=False)
    return out.stdout


def test_nodes_are_real_and_ready(api: Any, lab: Lab) -> None:
    core = client.CoreV1Api(api)
    nodes = {n.metadata.name: n for n in core.list_node().items}
    assert set(nodes) == {h.name for h in lab.config.node_hosts}
    for host in lab.config.node_hosts:
        node = nodes[host.name]
        addresses = {a.type: a.address for a in node.status.addresses}
        assert addresses["InternalIP"] == host.ipv4
        assert node.status.node_info.container_runtime_version.startswith("containerd://2.")
        assert node.status.node_info.kubelet_version == lab.info("kube")["version"]
        assert "kwok.x-k8s.io/node" not in (node.metadata.annotations or {})
        info = lab.info("nodes")["nodes"][host.name]
        assert lab.alive(f"node-{host.name}-kubelet") and info["kubelet"]
        assert lab.alive(f"node-{host.name}-containerd") and info["containerd"]


def test_deployment_and_daemonset_roll_out(api: Any, lab: Lab, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    labels = {"app": "web"}
    apps.create_namespaced_deployment(namespace, {
        "metadata": {"name": "web"},
        "spec": {"replicas": 3, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {
                     "containers": [_container(_backend(lab))],
                     # Spread by the scheduler, not pinned: no nodeName anywhere.
                     "topologySpreadConstraints": [{
                         "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                         "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {
                             "matchLabels": labels}}]}}}})
    ds_labels = {"app": "everywhere"}
    apps.create_namespaced_daemon_set(namespace, {
        "metadata": {"name": "everywhere"},
        "spec": {"selector": {"matchLabels": ds_labels},
                 "template": {"metadata": {"labels": ds_labels},
                              "spec": {"containers": [_container(_backend(lab))]}}}})
    _eventually(lambda: (apps.read_namespaced_deployment_status("web", namespace).status
                         .ready_replicas or 0) == 3, what="Deployment web ready")
    _eventually(lambda: (apps.read_namespaced_daemon_set_status("everywhere", namespace).status
                         .number_ready or 0) == len(lab.config.node_hosts),
                what="DaemonSet everywhere ready")
    nodes = {p.spec.node_name for p in _pods(api, namespace, "app=web")}
    assert nodes == {h.name for h in lab.config.node_hosts}, nodes
    for pod in _pods(api, namespace, "app=web"):
        assert pod.status.pod_ip.startswith("198.19.1"), pod.status.pod_ip


def test_pod_on_node1_reaches_pod_on_node3_through_a_cluster_ip(api: Any, lab: Lab,
                                                                namespace: str) -> None:
    core = client.CoreV1Api(api)
    image = _backend(lab)
    core.create_namespaced_pod(namespace, {
        "metadata": {"name": "server", "labels": {"app": "server"}},
        "spec": {"nodeSelector": {"kubernetes.io/hostname": "node3"},
                 "containers": [_container(image)]}})
    service = core.create_namespaced_service(namespace, {
        "metadata": {"name": "server"},
        "spec": {"selector": {"app": "server"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    cluster_ip = service.spec.cluster_ip
    assert cluster_ip.startswith("198.19."), cluster_ip
    _eventually(lambda: _ready(core.read_namespaced_pod("server", namespace)), what="server")
    # The pod is Ready before its server listens (no readiness probe) and before kube-proxy on
    # node1 has programmed the new endpoint (until then the ClusterIP rejects): a refused
    # connection is retried for a while, as any client of a Service that just started would.
    script = ("import time,urllib.request\n"
              "for attempt in range(60):\n"
              "    try:\n"
              f"        print(urllib.request.urlopen('http://{cluster_ip}/from-node1', timeout=5)"
              ".read().decode()); break\n"
              "    except OSError:\n"
              "        if attempt == 59: raise\n"
              "        time.sleep(0.5)\n")
    core.create_namespaced_pod(namespace, {
        "metadata": {"name": "client"},
        "spec": {"restartPolicy": "Never",
                 "nodeSelector": {"kubernetes.io/hostname": "node1"},
                 "containers": [{"name": "client", "image": image,
                                 "imagePullPolicy": "IfNotPresent",
                                 "command": ["python3", "-c", script]}]}})
    _eventually(lambda: core.read_namespaced_pod("client", namespace).status.phase
                in ("Succeeded", "Failed"), what="client pod done")
    pod = core.read_namespaced_pod("client", namespace)
    log = core.read_namespaced_pod_log("client", namespace)
    assert pod.status.phase == "Succeeded", log
    assert "node=node3" in log and "path=/from-node1" in log, log
    server_ip = core.read_namespaced_pod("server", namespace).status.pod_ip
    client_ip = pod.status.pod_ip
    # host-gw routing keeps the client pod's own address (no masquerade between pods).
    assert f"client={client_ip}" in log, (log, client_ip, server_ip)


def test_node_port_answers_from_the_client_namespace(api: Any, lab: Lab, namespace: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(namespace, {
        "metadata": {"name": "np", "labels": {"app": "np"}},
        "spec": {"nodeSelector": {"kubernetes.io/hostname": "node2"},
                 "containers": [_container(_backend(lab))]}})
    service = core.create_namespaced_service(namespace, {
        "metadata": {"name": "np"},
        "spec": {"type": "NodePort", "selector": {"app": "np"},
                 "ports": [{"port": 80, "targetPort": 8080}]}})
    port = service.spec.ports[0].node_port
    _eventually(lambda: _ready(core.read_namespaced_pod("np", namespace)), what="np ready")
    for host in lab.config.node_hosts:
        answer = _eventually(lambda h=host: _curl_from_client(
            lab, f"http://{h.ipv4}:{port}/via-{h.name}"), timeout=20,
            what=f"NodePort {port} on {host.name}")
        assert "node=node2" in answer and f"path=/via-{host.name}" in answer, answer


def test_kube_proxy_mode_follows_its_configmap(api: Any, lab: Lab) -> None:
    """nftables (the lab's default) -> iptables -> back, each by ConfigMap edit + rollout, seen in
    the rules each node namespace really holds."""
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    original = core.read_namespaced_config_map("kube-proxy", "kube-system").data["config.conf"]
    assert "\nmode: nftables\n" in original

    def rollout_to(mode: str) -> None:
        text = original.replace("\nmode: nftables\n", f"\nmode: {mode}\n")
        core.patch_namespaced_config_map("kube-proxy", "kube-system",
                                         {"data": {"config.conf": text}})
        stamp = str(time.time())
        apps.patch_namespaced_daemon_set("kube-proxy", "kube-system", {"spec": {"template": {
            "metadata": {"annotations": {"exposure-lab/restarted-at": stamp}}}}})
        want = len(lab.config.node_hosts)

        def rolled_out() -> bool:
            ds = apps.read_namespaced_daemon_set("kube-proxy", "kube-system")
            st = ds.status
            return bool((st.observed_generation or 0) >= ds.metadata.generation
                        and st.updated_number_scheduled == want and st.number_available == want)

        _eventually(rolled_out, timeout=120, what=f"kube-proxy rolled out in {mode} mode")

    def rules(host: Any) -> tuple[bool, bool]:
        nft = lab.run(["nft", "list", "tables"], netns=host.netns).stdout
        ipt = lab.run(["iptables-save"], netns=host.netns, check=False).stdout
        return "kube-proxy" in nft, "KUBE-SERVICES" in ipt

    try:
        rollout_to("iptables")
        for host in lab.config.node_hosts:
            _eventually(lambda h=host: rules(h)[1], what=f"iptables rules on {host.name}")
            assert not rules(host)[0], f"{host.name} still has kube-proxy's nftables table"
    finally:
        rollout_to("nftables")
    for host in lab.config.node_hosts:
        _eventually(lambda h=host: rules(h)[0] and not rules(h)[1],
                    what=f"nftables only on {host.name}")


def test_pods_stay_inside_the_lab(lab: Lab) -> None:
    """No default route in any node namespace, and pod CIDRs routed only between nodes."""
    for host in lab.config.node_hosts:
        routes = lab.run(["ip", "-4", "route", "show"], netns=host.netns).stdout
        assert "default" not in routes, routes
