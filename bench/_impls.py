"""The controllers under comparison: how to start each one outside a cluster, and measure it.

MetalLB's controller (v0.16) out of a cluster needs, besides --kubeconfig and --namespace:
  --webhook-mode=disabled         its validating webhook wants a Service and a TLS secret
  --disable-cert-rotation         (no webhook, no certificates to rotate)
  --port=0                        metrics are HTTPS behind TokenReview; off
  --health-probe-port=P           /readyz and /healthz over plain HTTP on :P (all interfaces)
  --pod-name=NAME                 it GETs its own Pod at start (owner of its ConfigurationState)
                                  and exits if that fails, so the bench creates a stand-in Pod
No --ml-secret-name: the memberlist secret only matters to speakers, and creating it needs the
controller's Deployment. Its REST client has client-side rate limiting off (controller-runtime
sets QPS=-1 and relies on API priority and fairness), so neither side is throttled client-side.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from _kube import Kube

OURS_BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "baremetal-lb"
METALLB_POD = "metallb-controller"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Impl:
    name: str
    argv: list[str]
    ready_url: str
    log: Path

    def prepare(self, kube: Kube, namespace: str) -> None:
        """Objects the implementation needs in its namespace before it starts."""


class Ours(Impl):
    @classmethod
    def make(cls, kubeconfig: str, namespace: str, lb_class: str, logdir: Path) -> Ours:
        port = free_port()
        argv = [str(OURS_BIN), "controller", "--kubeconfig", kubeconfig, "--namespace", namespace,
                "--load-balancer-class", lb_class, "--no-claim-unclassed", "--no-leader-elect",
                "--metrics-address", f"127.0.0.1:{port}"]
        return cls("ours", argv, f"http://127.0.0.1:{port}/readyz", logdir / "ours.log")


class MetalLB(Impl):
    @classmethod
    def make(cls, binary: Path, kubeconfig: str, namespace: str, lb_class: str,
             logdir: Path) -> MetalLB:
        port = free_port()
        argv = [str(binary), "--kubeconfig", kubeconfig, "--namespace", namespace,
                "--lb-class", lb_class, "--webhook-mode", "disabled", "--disable-cert-rotation",
                "--port", "0", "--health-probe-port", str(port), "--pod-name", METALLB_POD,
                "--log-level", "info"]
        return cls("metallb", argv, f"http://127.0.0.1:{port}/readyz", logdir / "metallb.log")

    def prepare(self, kube: Kube, namespace: str) -> None:
        pod: dict[str, Any] = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": METALLB_POD, "namespace": namespace,
                         "labels": {"app": "metallb", "component": "controller"}},
            # KWOK fakes it on node1; the controller only reads it to own its ConfigurationState.
            "spec": {"nodeName": "node1",
                     "containers": [{"name": "controller", "image": "metallb/controller"}]},
        }
        kube.request("POST", f"/api/v1/namespaces/{namespace}/pods", pod)


class Process:
    """A started controller: its own session, so the whole tree can be stopped by its PID."""

    def __init__(self, impl: Impl) -> None:
        self.impl = impl
        self.log = open(impl.log, "ab")
        self.proc = subprocess.Popen(impl.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.started = time.monotonic()

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from start until /readyz answers 200."""
        http = urllib3.PoolManager(retries=False)
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.impl.name} exited ({self.proc.returncode}) before "
                                   f"it was ready; see {self.impl.log}")
            try:
                if http.request("GET", self.impl.ready_url, timeout=1.0).status == 200:
                    return time.monotonic() - self.started
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.impl.name} not ready after {timeout:.0f}s at "
                           f"{self.impl.ready_url}; see {self.impl.log}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_bytes(self) -> int:
        """VmRSS summed over the process and all its descendants."""
        total = 0
        for pid in _tree(self.proc.pid):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass  # exited meanwhile
        return total

    def stop(self, grace: float = 10.0) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out
