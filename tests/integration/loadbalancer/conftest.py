"""Fixtures for the controller against the lab's real kube-apiserver.

The controller runs as a process started through its real entry point (`baremetal-lb
controller`), as the image would run it. Each test gets its own namespaces and its own
loadBalancerClass, so that nothing it creates is claimed by another test's controller.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

from baremetal_lb.config import crds as our_crds  # noqa: E402

BAREMETAL_LB = Path(sys.executable).with_name("baremetal-lb")
FIELD_MANAGER = "baremetal-lb"  # the same manager as test_crds.py and the bench


def eventually(probe: Callable[[], Any], timeout: float = 20, interval: float = 0.1,
               what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ControllerProcess:
    """One `baremetal-lb controller` process, stopped by its PID."""

    def __init__(self, kubeconfig: str, namespace: str, log_dir: Path, *, lb_class: str | None,
                 claim_unclassed: bool, leader_elect: bool, identity: str,
                 extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.identity = identity
        self.log_path = log_dir / f"controller-{identity}.log"
        argv = [str(BAREMETAL_LB), "controller", "--kubeconfig", kubeconfig,
                "--namespace", namespace, "--identity", identity,
                "--metrics-address", f"127.0.0.1:{self.port}",
                "--leader-elect" if leader_elect else "--no-leader-elect",
                "--claim-unclassed" if claim_unclassed else "--no-claim-unclassed"]
        if lb_class:
            argv += ["--load-balancer-class", lb_class]
        argv += extra or []
        self.stopped = False
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def wait_ready(self, timeout: float = 20) -> None:
        eventually(lambda: self.get("/readyz")[0] == 200 or self._died(), timeout,
                   what=f"controller {self.identity} /readyz")
        assert self.proc.poll() is None, f"controller died:\n{self.log()}"

    def wait_leading(self, timeout: float = 20) -> None:
        eventually(lambda: self.get("/readyz")[1].strip() == "leading" or self._died(), timeout,
                   what=f"controller {self.identity} leading")
        assert self.proc.poll() is None, f"controller died:\n{self.log()}"

    def metric(self, name: str, **labels: str) -> float | None:
        _, text = self.get("/metrics")
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            metric, _, rest = key.partition("{")
            got = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
            if metric == name and got == wanted:
                return float(value)
        return None

    def _died(self) -> bool:
        return self.proc.poll() is not None

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


class Cluster:
    """The test's view of the apiserver: namespaces, pools and Services it created."""

    def __init__(self, api: Any, run_id: str) -> None:
        self.api = api
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.coordination = client.CoordinationV1Api(api)
        self.run_id = run_id
        self.namespaces: list[str] = []

    def namespace(self, prefix: str, labels: dict[str, str] | None = None) -> str:
        name = f"{prefix}-{self.run_id}-{uuid.uuid4().hex[:4]}"
        self.core.create_namespace({"metadata": {"name": name, "labels": labels or {}}})
        self.namespaces.append(name)
        return name

    def pool(self, namespace: str, name: str, spec: dict[str, Any],
             api_version: str = "v1beta1") -> dict[str, Any]:
        body = {"apiVersion": f"metallb.io/{api_version}", "kind": "IPAddressPool",
                "metadata": {"name": name, "namespace": namespace}, "spec": spec}
        return dict(self.custom.create_namespaced_custom_object(
            "metallb.io", api_version, namespace, "ipaddresspools", body))

    def patch_pool(self, namespace: str, name: str, spec: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(
            "metallb.io", "v1beta1", namespace, "ipaddresspools", name, {"spec": spec})

    def delete_pool(self, namespace: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(
            "metallb.io", "v1beta1", namespace, "ipaddresspools", name)

    def get_pool(self, namespace: str, name: str) -> dict[str, Any]:
        return dict(self.custom.get_namespaced_custom_object(
            "metallb.io", "v1beta1", namespace, "ipaddresspools", name))

    def service(self, namespace: str, name: str, *, lb_class: str | None,
                annotations: dict[str, str] | None = None,
                spec: dict[str, Any] | None = None,
                labels: dict[str, str] | None = None) -> Any:
        body_spec: dict[str, Any] = {"type": "LoadBalancer",
                                     "ports": [{"port": 80, "protocol": "TCP"}],
                                     "selector": {"app": name}}
        if lb_class:
            body_spec["loadBalancerClass"] = lb_class
        body_spec.update(spec or {})
        body = {"metadata": {"name": name, "annotations": annotations or {},
                             "labels": labels or {}}, "spec": body_spec}
        return self.core.create_namespaced_service(namespace, body)

    def ips(self, namespace: str, name: str) -> list[str] | None:
        try:
            svc = self.core.read_namespaced_service_status(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        ingress = (svc.status.load_balancer and svc.status.load_balancer.ingress) or []
        return [i.ip for i in ingress]

    def events(self, namespace: str, name: str, reason: str | None = None) -> list[Any]:
        items = self.core.list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={name}").items
        return [e for e in items if reason is None or e.reason == reason]

    def cleanup(self) -> None:
        for ns in self.namespaces:
            try:
                self.core.delete_namespace(ns)
            except ApiException as exc:
                if exc.status != 404:
                    raise


@pytest.fixture(scope="session")
def kubeconfig(lab: Any) -> str:
    info = lab.info("kube")
    assert info, "the lab's kube service is not up"
    return str(info["kubeconfig"])


@pytest.fixture(scope="session")
def kube_api(kubeconfig: str) -> Iterator[Any]:
    api = config.new_client_from_config(config_file=kubeconfig)
    yield api
    api.close()


@pytest.fixture(scope="session")
def metallb_crds(kube_api: Any) -> list[str]:
    """Our metallb.io CRDs, server-side applied (idempotent; never deleted: shared)."""
    ext = client.ApiextensionsV1Api(kube_api)
    names = []
    for crd in our_crds():
        name = crd["metadata"]["name"]
        # Server-side apply (the generated client has no apply call; kubernetes 37 splits
        # request building from sending).
        method, url, headers, body, post = kube_api.param_serialize(
            "PATCH", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}",
            query_params=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            header_params={"Content-Type": "application/apply-patch+yaml",
                           "Accept": "application/json"},
            body=crd, auth_settings=["BearerToken"])
        response = kube_api.call_api(method, url, header_params=headers, body=body,
                                     post_params=post)
        assert response.status < 300, f"applying CRD {name}: {response.status} {response.read()}"
        names.append(name)

    def established() -> bool:
        for name in names:
            conditions = ext.read_custom_resource_definition(name).status.conditions or []
            if not any(c.type == "Established" and c.status == "True" for c in conditions):
                return False
        return True

    eventually(established, 30, what="CRDs Established")
    return names


@pytest.fixture
def cluster(kube_api: Any, metallb_crds: list[str]) -> Iterator[Cluster]:
    c = Cluster(kube_api, uuid.uuid4().hex[:6])
    yield c
    c.cleanup()


@pytest.fixture
def controllers(kubeconfig: str, tmp_path: Path) -> Iterator[Callable[..., ControllerProcess]]:
    started: list[ControllerProcess] = []

    def start(namespace: str, *, lb_class: str | None, claim_unclassed: bool = False,
              leader_elect: bool = False, identity: str | None = None,
              extra: list[str] | None = None, wait: bool = True) -> ControllerProcess:
        proc = ControllerProcess(kubeconfig, namespace, tmp_path, lb_class=lb_class,
                                 claim_unclassed=claim_unclassed, leader_elect=leader_elect,
                                 identity=identity or f"ctl-{len(started)}", extra=extra)
        started.append(proc)
        if wait:
            proc.wait_ready()
        return proc

    yield start
    died = [proc for proc in started if not proc.stopped and proc.proc.poll() is not None]
    for proc in started:
        proc.stop()
    if os.environ.get("EXPOSURE_SHOW_CONTROLLER_LOGS"):
        for proc in started:
            print(f"--- {proc.identity}\n{proc.log()}")
    if died:
        pytest.fail("controller(s) died during the test:\n"
                    + "\n".join(f"--- {p.identity}\n{p.log()}" for p in died))
