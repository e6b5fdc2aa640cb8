"""The speakers under comparison: how each one runs in a lab node namespace.

MetalLB's speaker (v0.16) outside a cluster, besides --kubeconfig/--namespace/--lb-class:
  --node-name N, --pod-name P   it GETs its own Pod at start (owner of its ServiceL2Status
                                objects), so the bench creates one stand-in Pod per node,
                                hostNetwork on that KWOK node: KWOK then sets podIP = the node's
                                InternalIP, which is what memberlist needs (next line)
  --ml-bindaddr IP, --ml-labels memberlist (its fast dead-node detection) binds IP:7946 and
                                finds its peers by LISTing Pods with those labels in the
                                namespace and joining their status.podIP
  METALLB_ML_SECRET_KEY_PATH    directory holding `secretkey`: memberlist traffic is encrypted
  --port 0                      no HTTPS metrics (TokenReview); health stays on 127.0.0.1
It needs all nine of MetalLB's CRDs (its cache refuses to start on an unknown kind).

Ours: `baremetal-lb speaker` per the CLI in docs (heartbeats over UDP broadcast on eth0).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from _kube import Kube
from _speaker_net import LAN_IFACE, NODE_IPS, NODES, NsProcess

ROOT = Path(__file__).resolve().parent.parent
OURS_BIN = ROOT / ".venv" / "bin" / "baremetal-lb"
SPEAKER_LABELS = {"app": "bench-l2-speaker"}
# Not the defaults (7473 heartbeats, 7475 metrics): the speaker integration tests may run their
# own speakers in the same namespaces at the same time.
OURS_METRICS_PORT = 7485
OURS_HEARTBEAT_PORT = 7483


class Speakers:
    """One implementation's speakers on node1..3: start, crash one, restart it, stop all."""

    name = ""

    def __init__(self, kubeconfig: str, namespace: str, lb_class: str, workdir: Path) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.lb_class = lb_class
        self.workdir = workdir
        self.procs: dict[str, NsProcess] = {}

    def prepare(self, kube: Kube) -> None:
        """Objects and files the implementation needs before its speakers start."""

    def argv(self, node: str) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def start(self, node: str) -> NsProcess:
        log = self.workdir / f"{self.name}-{node}.log"
        self.procs[node] = NsProcess(NODES[node], self.argv(node), log, env=self.env())
        return self.procs[node]

    def start_all(self) -> None:
        for node in NODES:
            self.start(node)

    def crash(self, node: str) -> None:
        self.procs[node].kill()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.stop()
        self.procs.clear()


class MetalLBSpeakers(Speakers):
    name = "metallb"

    def __init__(self, binary: Path, *args: Any) -> None:
        super().__init__(*args)
        self.binary = binary

    def prepare(self, kube: Kube) -> None:
        keydir = self.workdir / "memberlist"
        keydir.mkdir(exist_ok=True)
        (keydir / "secretkey").write_text(secrets.token_hex(32))
        for node in NODES:
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": f"speaker-{node}", "namespace": self.namespace,
                                "labels": dict(SPEAKER_LABELS)},
                   "spec": {"nodeName": node, "hostNetwork": True,
                            "containers": [{"name": "speaker", "image": "metallb/speaker"}]}}
            kube.request("POST", f"/api/v1/namespaces/{self.namespace}/pods", pod)

    def argv(self, node: str) -> list[str]:
        labels = ",".join(f"{k}={v}" for k, v in SPEAKER_LABELS.items())
        return [str(self.binary), "--kubeconfig", self.kubeconfig, "--namespace", self.namespace,
                "--node-name", node, "--pod-name", f"speaker-{node}",
                "--lb-class", self.lb_class, "--ml-bindaddr", NODE_IPS[node],
                "--ml-labels", labels, "--port", "0", "--log-level", "info"]

    def env(self) -> dict[str, str]:
        return {"METALLB_ML_SECRET_KEY_PATH": str(self.workdir / "memberlist")}


class OurSpeakers(Speakers):
    name = "ours"

    def prepare(self, kube: Kube) -> None:
        (self.workdir / "heartbeat.key").write_text(secrets.token_hex(32))

    def argv(self, node: str) -> list[str]:
        return [str(OURS_BIN), "speaker", "--kubeconfig", self.kubeconfig, "--node", node,
                "--namespace", self.namespace, "--interface", LAN_IFACE,
                "--heartbeat-key-file", str(self.workdir / "heartbeat.key"),
                "--heartbeat-port", str(OURS_HEARTBEAT_PORT),
                "--load-balancer-class", self.lb_class, "--no-claim-unclassed",
                "--metrics-address", f"0.0.0.0:{OURS_METRICS_PORT}"]
