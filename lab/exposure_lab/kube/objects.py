"""Put the lab's Nodes and kube-proxy into a fresh control plane and wait until they are Ready."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import Lab, LabError, wait_for
from . import build, manifests

if TYPE_CHECKING:
    from .control_plane import KubeControlPlane


def api_client(kubeconfig: str) -> Any:
    from kubernetes import config

    return config.new_client_from_config(config_file=kubeconfig)


def _create(call: Any, *args: Any) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        call(*args)
    except ApiException as exc:
        if exc.status != 409:  # already there: up() is idempotent
            raise


def populate(cp: "KubeControlPlane", lab: Lab, timeout: float = 180) -> None:
    from kubernetes import client

    api = api_client(str(cp.kubeconfig(lab)))
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    rbac = client.RbacAuthorizationV1Api(api)
    hosts = lab.config.node_hosts
    for host in hosts:
        assert host.ipv4
        _create(core.create_node, manifests.node(host.name, host.ipv4))
        # A Node's status is kept on create today; make sure, before KWOK fills in its own IP.
        node = core.read_node(host.name)
        addresses = {a.type: a.address for a in (node.status.addresses or [])}
        if addresses.get("InternalIP") != host.ipv4:
            core.patch_node_status(host.name, {"status": manifests.node(host.name, host.ipv4)
                                               ["status"]})
    sa, crb = manifests.kube_proxy_rbac()
    _create(core.create_namespaced_service_account, "kube-system", sa)
    _create(rbac.create_cluster_role_binding, crb)
    _create(core.create_namespaced_config_map, "kube-system",
            manifests.kube_proxy_configmap(cp.server(lab)))
    _create(apps.create_namespaced_daemon_set, "kube-system",
            manifests.kube_proxy_daemonset(build.KUBE_VERSION))

    names = {h.name for h in hosts}

    def nodes_ready() -> bool:
        ready = set()
        for node in core.list_node().items:
            for cond in node.status.conditions or []:
                if cond.type == "Ready" and cond.status == "True":
                    ready.add(node.metadata.name)
        return names <= ready

    def daemonset_rolled_out() -> bool:
        ds = apps.read_namespaced_daemon_set("kube-proxy", "kube-system")
        st = ds.status
        return bool(
            st
            and (st.observed_generation or 0) >= ds.metadata.generation
            and st.desired_number_scheduled == len(hosts)
            and st.updated_number_scheduled == len(hosts)
            and st.number_available == len(hosts)
        )

    def explain() -> str:
        ds = apps.read_namespaced_daemon_set("kube-proxy", "kube-system")
        pods = core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-proxy")
        return f"daemonset status: {ds.status}\npods: " + ", ".join(
            f"{p.metadata.name}@{p.spec.node_name}:{p.status.phase}" for p in pods.items
        )

    try:
        wait_for("KWOK nodes Ready", nodes_ready, timeout=timeout, interval=0.3)
        wait_for("kube-proxy DaemonSet rolled out", daemonset_rolled_out, timeout=timeout,
                 interval=0.3, on_timeout=explain)
    except LabError as exc:
        raise LabError(f"{exc}\n(see {lab.log_dir}/kube-*.log)") from exc
    finally:
        api.close()
