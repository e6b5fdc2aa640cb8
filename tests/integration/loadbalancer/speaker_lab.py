"""Speakers in the lab's node namespaces, and the client's view of a VIP.

Each node namespace gets what kube-proxy in IPVS mode with strictARP gives a real node: the VIPs
on a local device (here `lo`) and arp_ignore=1 / arp_announce=2, so the kernel accepts traffic
for a VIP but never answers ARP for it: only the speaker's userspace responder does. A small TCP
responder on port 8080 answers with the node's name, so the client sees which node it reached.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

BAREMETAL_LB = Path(sys.executable).with_name("baremetal-lb")
RESPONDER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(64)
while True:
    c, _ = s.accept(); c.sendall(sys.argv[1].encode()); c.close()
"""
CONNECT = """
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], 8080), timeout=float(sys.argv[2]))
    print(c.recv(64).decode())
except OSError:
    print("")
"""
SYSCTLS = ("net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce")


def netns(name: str, *argv: str) -> list[str]:
    return ["ip", "netns", "exec", name, *argv]


def run(argv: list[str], check: bool = True) -> str:
    return subprocess.run(argv, check=check, capture_output=True, text=True).stdout.strip()


class NodeSide:
    """VIPs, strict ARP sysctls and a name responder in one node namespace (all undone)."""

    def __init__(self, node: str, vips: list[str]) -> None:
        self.node, self.ns, self.vips = node, f"xl-{node}", vips
        self.saved = {key: run(netns(self.ns, "sysctl", "-n", key)) for key in SYSCTLS}
        run(netns(self.ns, "sysctl", "-qw", f"{SYSCTLS[0]}=1", f"{SYSCTLS[1]}=2"))
        for vip in vips:
            run(netns(self.ns, "ip", "addr", "add", f"{vip}/32", "dev", "lo"))
        self.responder = subprocess.Popen(netns(self.ns, sys.executable, "-c", RESPONDER, node),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.mac_text = run(netns(self.ns, "cat", "/sys/class/net/eth0/address"))

    def close(self) -> None:
        self.responder.kill()
        self.responder.wait()
        for vip in self.vips:
            run(netns(self.ns, "ip", "addr", "del", f"{vip}/32", "dev", "lo"), check=False)
        for key, value in self.saved.items():
            run(netns(self.ns, "sysctl", "-qw", f"{key}={value}"))


def reach(vip: str, timeout: float = 0.3) -> str:
    """The name of the node a TCP connection from the client to the VIP reaches ('' if none)."""
    return run(netns("xl-client", sys.executable, "-c", CONNECT, vip, str(timeout)))


def client_neighbor_mac(vip: str) -> str:
    line = run(netns("xl-client", "ip", "neigh", "show", vip))
    parts = line.split()
    return parts[parts.index("lladdr") + 1] if "lladdr" in parts else ""


def flush_client_neighbor(vip: str) -> None:
    run(netns("xl-client", "ip", "neigh", "flush", "to", vip), check=False)


class SpeakerProcess:
    """`baremetal-lb speaker` in a node namespace, as the DaemonSet's pod would run it."""

    def __init__(self, node: str, kubeconfig: str, namespace: str, key_file: Path | None,
                 lb_class: str, log_dir: Path, port: int = 7475,
                 extra: list[str] | None = None) -> None:
        self.node = node
        self.address = f"198.51.100.{10 + int(node.removeprefix('node'))}:{port}"
        self.log_path = log_dir / f"speaker-{node}.log"
        self._log = open(self.log_path, "ab")
        argv = netns(f"xl-{node}", str(BAREMETAL_LB), "speaker", "--kubeconfig", kubeconfig,
                     "--node", node, "--namespace", namespace, "--interface", "eth0",
                     *(["--heartbeat-key-file", str(key_file)] if key_file
                       else ["--heartbeat-secret", "baremetal-lb-heartbeat"]),
                     "--load-balancer-class", lb_class,
                     "--metrics-address", self.address, *(extra or []))
        # `ip netns exec` execs the speaker: the PID we hold is the speaker's own.
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{self.address}{path}", timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def metric(self, name: str, **labels: str) -> float:
        wanted = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
        for line in self.get("/metrics")[1].splitlines():
            key, _, value = line.rpartition(" ")
            if key == (name + wanted if labels else name):
                return float(value)
        return 0.0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._log.closed:
            self._log.close()


def heartbeat_key(tmp: Path) -> Path:
    path = tmp / "heartbeat.key"
    path.write_text(secrets.token_hex(32))
    path.chmod(0o600)
    return path


def endpoint_slice(service: str, nodes: list[str]) -> dict[str, Any]:
    """Ready endpoints of `service` on `nodes`, as kube-controller-manager would publish them
    for running pods (KWOK's pods carry no routable IPs, so the test writes its own slice)."""
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"generateName": f"{service}-test-",
                     "labels": {"kubernetes.io/service-name": service,
                                "endpointslice.kubernetes.io/managed-by": "tests.baremetal.exposure"}},
        "addressType": "IPv4",
        "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [f"10.244.{n}.10"], "nodeName": node,
                       "conditions": {"ready": True}}
                      for n, node in enumerate(nodes, 1)],
    }


def wait_for(probe: Any, timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(interval)
    return probe()
