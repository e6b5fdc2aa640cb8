"""Put the lab's objects into the cluster: kube-proxy (RBAC, ConfigMap, DaemonSet from the
locally built image) and, for large paper-node counts, KWOK's Nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import Lab, LabError, wait_for
from . import manifests

if TYPE_CHECKING:
    from .control_plane import KubeControlPlane


def api_client(kubeconfig: str) -> Any:
    from kubernetes import config

    return config.new_client_from_config(config_file=kubeconfig)


def create(call: Any, *args: Any) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        call(*args)
    except ApiException as exc:
        if exc.status != 409:  # already there: up() is idempotent
            raise


def ready_nodes(core: Any) -> set[str]:
    ready = set()
    for node in core.list_node().items:
        for cond in node.status.conditions or []:
            if cond.type == "Ready" and cond.status == "True":
                ready.add(node.metadata.name)
    return ready


def daemonset_rolled_out(apps: Any, namespace: str, name: str, want: int) -> bool:
    ds = apps.read_namespaced_daemon_set(name, namespace)
    st = ds.status
    return bool(
        st
        and (st.observed_generation or 0) >= ds.metadata.generation
        and st.desired_number_scheduled == want
        and st.updated_number_scheduled == want
        and st.number_available == want
    )


def apply_kube_proxy(api: Any, server: str, image: str, xtables_lock: str) -> None:
    """kubeadm's kube-proxy objects; an existing DaemonSet only gets its image updated (a lab
    rebuilt with another kube-proxy image), its ConfigMap is never overwritten (tests and the
    kube_proxy role change it on purpose)."""
    from kubernetes import client

    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    rbac = client.RbacAuthorizationV1Api(api)
    sa, crb = manifests.kube_proxy_rbac()
    create(core.create_namespaced_service_account, "kube-system", sa)
    create(rbac.create_cluster_role_binding, crb)
    create(core.create_namespaced_config_map, "kube-system",
           manifests.kube_proxy_configmap(server))
    body = manifests.kube_proxy_daemonset(image, xtables_lock)
    try:
        current = apps.read_namespaced_daemon_set("kube-proxy", "kube-system")
    except client.exceptions.ApiException as exc:
        if exc.status != 404:
            raise
        # The client validates a dict body into its V1DaemonSet model (pydantic validate_call).
        apps.create_namespaced_daemon_set("kube-system", body)  # type: ignore[arg-type]
        return
    # The apiserver fills in a DaemonSet's spec and pod spec; the client types them optional.
    assert current.spec and current.spec.template.spec
    if current.spec.template.spec.containers[0].image != image:
        apps.patch_namespaced_daemon_set("kube-proxy", "kube-system", {"spec": {"template": {
            "spec": {"containers": [{"name": "kube-proxy", "image": image}]}}}})


def populate_kwok(cp: KubeControlPlane, lab: Lab, timeout: float = 180) -> None:
    """Paper nodes for scale tests (`lab up --kwok`): KWOK keeps them Ready, runs nothing."""
    from kubernetes import client

    api = api_client(str(cp.kubeconfig(lab)))
    core = client.CoreV1Api(api)
    hosts = lab.config.node_hosts
    try:
        for host in hosts:
            assert host.ipv4
            create(core.create_node, manifests.node(host.name, host.ipv4))
            node = core.read_node(host.name)
            assert node.status  # created with one (manifests.node); the client types it optional
            addresses = {a.type: a.address for a in (node.status.addresses or [])}
            if addresses.get("InternalIP") != host.ipv4:
                core.patch_node_status(host.name, {"status": manifests.node(host.name, host.ipv4)
                                                   ["status"]})
        names = {h.name for h in hosts}
        wait_for("KWOK nodes Ready", lambda: names <= ready_nodes(core), timeout=timeout,
                 interval=0.3)
    except LabError as exc:
        raise LabError(f"{exc}\n(see {lab.log_dir}/kube-*.log)") from exc
    finally:
        api.close()
