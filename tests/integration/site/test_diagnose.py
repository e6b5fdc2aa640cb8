"""playbooks/diagnose.yml on the converged lab site: each step of the path broken on purpose,
one at a time, and the diagnosis must name that step (docs/verify.md).

The test Service `diag/web` (the lab's http-backend, one replica, externalTrafficPolicy Local,
so only the pod's node may announce the VIP and cutting that node's link leaves no other
candidate) is healthy first; then:

1. no IP: a Service asking for an address outside every pool;
2. speaker stopped: the speaker DaemonSet's nodeSelector matches no node;
3. node link cut: `ip -n xl-lan link set v-<node> down` for the announcing node;
4. no endpoints: the backend scaled to 0;
5. app down: the backend answers with the wrong body.

Each break is undone and the Service is healthy again before the next. Every diagnosis is
read-only: changed=0, and the router's configuration and the Service objects are unchanged.
Runs after test_site_playbook.py (conftest), on the site it converged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from exposure_lab import Lab
from exposure_lab.frr import RouterFrr

from ansible_runner import REPO, AnsibleRunner, PlaybookResult

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config  # noqa: E402

# Outside `make test` (CI time): a converged site and a diagnosis per step (make integration-long).
pytestmark = pytest.mark.long

SITE = REPO / "playbooks" / "site.yml"
DIAGNOSE = REPO / "playbooks" / "diagnose.yml"
NAMESPACE = "diag"
LB_NAMESPACE = "metallb-system"            # exposure_load_balancer.namespace (the default)
SPEAKER = "baremetal-lb-speaker"           # the load_balancer role's DaemonSet
EXPECT_BODY = f"namespace={NAMESPACE}"     # the http-backend names its pod's namespace
VERIFY = {"services": [f"{NAMESPACE}/web"], "http_path": "/diag", "expect_status": 200,
          "expect_body": EXPECT_BODY}


def eventually(probe: Callable[[], Any], timeout: float = 60, interval: float = 0.5,
               what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def diagnosis_of(result: PlaybookResult) -> dict[str, Any]:
    """The lb_diagnose result of a diagnose.yml run (its task is inside the verify role)."""
    for play in result.plays:
        for task in play.get("tasks", []):
            for res in task["hosts"].values():
                if isinstance(res.get("diagnosis"), dict):
                    return res["diagnosis"]
    raise AssertionError("no diagnosis in the run:\n" + "\n".join(result.failure_messages())
                         + result.stderr[-2000:])


def diagnose(ansible: AnsibleRunner, service: str, check: bool = False,
             retries: int = 0) -> tuple[dict[str, Any], PlaybookResult]:
    extra = {"service": service, "site": "lab", "exposure_verify": VERIFY, "verify_retries": retries}
    result = ansible.playbook(DIAGNOSE, check=check, extra_vars=extra)
    assert result.changed == 0, "diagnose.yml changed something"
    found = diagnosis_of(result)
    # It fails exactly when the path is broken, with the diagnosis as its message.
    assert (result.rc == 0) is found["ok"], result.failure_messages()
    return found, result


@pytest.fixture(scope="module")
def kube(lab: Lab) -> Iterator[Any]:
    info = lab.info("kube")
    assert info, "the lab's kube service is not up"
    api = config.new_client_from_config(config_file=str(info["kubeconfig"]))
    yield api
    api.close()


def backend_image(lab: Lab) -> str:
    from exposure_lab.images import refs  # the lab's image references (lab/exposure_lab/images)

    return refs(lab.config, only=["http-backend"])["http-backend"]


def web_objects(image: str) -> list[dict[str, Any]]:
    env = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
           {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
           {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
    labels = {"app": "web"}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NAMESPACE},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{
                "name": "web", "image": image, "imagePullPolicy": "IfNotPresent", "env": env,
                "ports": [{"containerPort": 8080}],
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                                   "periodSeconds": 1}}]}}}}
    # From the layer-2 pool: the lab's client sits on the LAN and has no route to the BGP pool.
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": NAMESPACE,
                     "annotations": {"metallb.io/address-pool": "services"}},
        "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": labels,
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    # Step 1's Service: it asks for an address that lies in no pool of the lab.
    nowhere = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "nowhere", "namespace": NAMESPACE,
                     "annotations": {"metallb.io/loadBalancerIPs": "192.0.2.99"}},
        "spec": {"type": "LoadBalancer", "selector": labels,
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    return [deployment, service, nowhere]


@pytest.fixture(scope="module")
def site(lab: Lab, ansible: AnsibleRunner, kube: Any) -> Iterator[dict[str, Any]]:
    """The converged site with the test backend behind diag/web, healthy."""
    converged = ansible.playbook(SITE)
    assert converged.rc == 0, "\n".join(converged.failure_messages()) or converged.stderr[-3000:]
    core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    deployment, service, nowhere = web_objects(backend_image(lab))
    apps.create_namespaced_deployment(NAMESPACE, deployment)
    core.create_namespaced_service(NAMESPACE, service)
    core.create_namespaced_service(NAMESPACE, nowhere)
    healthy, _ = diagnose(ansible, f"{NAMESPACE}/web", retries=30)
    assert healthy["ok"], healthy["message"]
    yield healthy
    core.delete_namespace(NAMESPACE)
    eventually(lambda: NAMESPACE not in [n.metadata.name for n in core.list_namespace().items],
               timeout=120, what=f"namespace {NAMESPACE} deleted")


def announcing_node(kube: Any) -> str:
    status = client.CustomObjectsApi(kube).get_namespaced_custom_object(
        "metallb.io", "v1beta1", NAMESPACE, "servicel2statuses", "web")
    return str(status["status"]["node"])


@contextmanager
def speakers_stopped(lab: Lab, kube: Any) -> Iterator[None]:
    apps = client.AppsV1Api(kube)
    apps.patch_namespaced_daemon_set(SPEAKER, LB_NAMESPACE, {"spec": {"template": {"spec": {
        "nodeSelector": {"baremetal.exposure/no-such-node": "true"}}}}})
    core = client.CoreV1Api(kube)
    eventually(lambda: not core.list_namespaced_pod(
        LB_NAMESPACE, label_selector="app.kubernetes.io/component=speaker").items,
        timeout=60, what="no speaker pod left")
    try:
        yield
    finally:
        apps.patch_namespaced_daemon_set(SPEAKER, LB_NAMESPACE, {"spec": {"template": {"spec": {
            "nodeSelector": {"baremetal.exposure/no-such-node": None}}}}})


@contextmanager
def link_cut(lab: Lab, kube: Any) -> Iterator[None]:
    node = announcing_node(kube)
    lab.run(["ip", "-n", lab.config.lan_netns, "link", "set", f"v-{node}", "down"])
    try:
        time.sleep(1)  # the speaker sees the carrier go and withdraws (0.4-0.7 s)
        yield
    finally:
        lab.run(["ip", "-n", lab.config.lan_netns, "link", "set", f"v-{node}", "up"])


@contextmanager
def scaled_to_zero(lab: Lab, kube: Any) -> Iterator[None]:
    apps = client.AppsV1Api(kube)
    apps.patch_namespaced_deployment_scale("web", NAMESPACE, {"spec": {"replicas": 0}})
    core = client.CoreV1Api(kube)
    eventually(lambda: not core.list_namespaced_pod(NAMESPACE, label_selector="app=web").items,
               timeout=60, what="the backend gone")
    try:
        yield
    finally:
        apps.patch_namespaced_deployment_scale("web", NAMESPACE, {"spec": {"replicas": 1}})


@contextmanager
def wrong_body(lab: Lab, kube: Any) -> Iterator[None]:
    apps = client.AppsV1Api(kube)

    def set_namespace_env(value: dict[str, Any]) -> None:
        apps.patch_namespaced_deployment("web", NAMESPACE, {"spec": {"template": {"spec": {
            "containers": [{"name": "web", "env": [{"name": "POD_NAMESPACE", **value}]}]}}}})

    def rolled_out() -> bool:
        d = apps.read_namespaced_deployment("web", NAMESPACE)
        return bool(d.status.updated_replicas == 1 and d.status.ready_replicas == 1
                    and (d.status.replicas or 0) == 1)

    set_namespace_env({"value": "broken", "valueFrom": None})
    eventually(rolled_out, timeout=90, what="the backend rolled out with the wrong body")
    try:
        yield
    finally:
        set_namespace_env({"value": None, "valueFrom": {
            "fieldRef": {"fieldPath": "metadata.namespace"}}})
        eventually(rolled_out, timeout=90, what="the backend rolled back")


@contextmanager
def nothing(lab: Lab, kube: Any) -> Iterator[None]:
    yield


# (what breaks, the Service diagnosed, how to break it, the step, a text of the message)
BREAKS = [
    ("no IP", "nowhere", nothing, 1, "192.0.2.99"),
    ("speaker stopped", "web", speakers_stopped, 2, "no speaker pod runs on node"),
    ("node link cut", "web", link_cut, 3, "does not answer ARP/NDP for its own address either"),
    ("no endpoints", "web", scaled_to_zero, 4, "no endpoint"),
    ("app down", "web", wrong_body, 5, f"the body lacks '{EXPECT_BODY}'"),
]


def router_config(lab: Lab) -> str:
    return RouterFrr().instance(lab).vtysh("show running-config")


def resource_versions(kube: Any) -> dict[str, str]:
    core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
    return {"service": core.read_namespaced_service("web", NAMESPACE).metadata.resource_version,
            "speaker": apps.read_namespaced_daemon_set(SPEAKER, LB_NAMESPACE).metadata.resource_version,
            "deployment": apps.read_namespaced_deployment("web", NAMESPACE).metadata.resource_version}


def test_the_healthy_service_passes_every_step(site: dict[str, Any]) -> None:
    assert site["ok"] and site["broken_step"] is None
    assert [s["status"] for s in site["steps"]] == ["ok"] * 5, site["lines"]


def test_diagnose_writes_nothing_and_check_mode_says_the_same(
        lab: Lab, ansible: AnsibleRunner, kube: Any, site: dict[str, Any]) -> None:
    before = (router_config(lab), resource_versions(kube))
    checked, _ = diagnose(ansible, f"{NAMESPACE}/web", check=True)
    assert checked["ok"], checked["message"]
    assert (router_config(lab), resource_versions(kube)) == before


# Outside `make test` (CI time): five breaks, each restored and re-converged.
@pytest.mark.long
@pytest.mark.parametrize("what,service,breaker,step,text", BREAKS, ids=[b[0] for b in BREAKS])
def test_a_broken_step_is_named(lab: Lab, ansible: AnsibleRunner, kube: Any, site: dict[str, Any],
                                what: str, service: str, breaker: Any, step: int, text: str) -> None:
    with breaker(lab, kube):
        found, result = diagnose(ansible, f"{NAMESPACE}/{service}")
    assert found["broken_step"] == step, found["message"]
    assert text in found["message"], found["message"]
    assert found["message"] in "\n".join(result.failure_messages())
    # Undone: the Service is healthy again before the next break.
    again, _ = diagnose(ansible, f"{NAMESPACE}/web", retries=40)
    assert again["ok"], f"after '{what}' was undone: {again['message']}"
