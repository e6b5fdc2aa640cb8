"""etcd + kube-apiserver + kube-controller-manager + kube-scheduler, as lab daemons.

The apiserver listens on the lab's management address (a veth in the root namespace that the
`topology` service creates), so node namespaces reach it at https://198.51.100.250:6443; the
other daemons stay on 127.0.0.1. The nodes are real (the `nodes` service: kubelet and containerd
in each node namespace), or, with `lab up --kwok`, KWOK-managed Node objects whose InternalIP
is the namespace's address, Ready on paper and running nothing.
"""

from __future__ import annotations

import errno
import json
import shutil
import socket
import ssl
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from ..core import Lab, LabError, tail
from . import build, manifests
from .node_files import SERVICE_CIDR_V4, SERVICE_CIDR_V6
from .pki import Pair, Pki

NAME = "kube"
# Dual-stack, so that Services may ask for IPv6 or both families (the IPv6 half is a
# documentation prefix: ClusterIPs never leave the apiserver in this lab).
SERVICE_CIDR = f"{SERVICE_CIDR_V4},{SERVICE_CIDR_V6}"
SA_ISSUER = "https://kubernetes.default.svc.cluster.local"
STAGES = Path(__file__).with_name("kwok-stages.yaml")
# Start order; `down` goes the other way. KWOK only runs in a `--kwok` lab.
COMPONENTS = ("etcd", "apiserver", "controller-manager", "scheduler", "kwok")


def components(lab: Lab) -> tuple[str, ...]:
    return COMPONENTS if lab.config.kwok else COMPONENTS[:-1]
CLIENTS = {  # file name -> (CN, O)
    "admin": ("kubernetes-admin", "system:masters"),
    "controller-manager": ("system:kube-controller-manager", None),
    "scheduler": ("system:kube-scheduler", None),
    "kwok": ("kwok-controller", "system:masters"),
    "front-proxy-client": ("front-proxy-client", None),  # the aggregator's, as kubeadm's
    # The apiserver's client certificate towards kubelets (logs, exec), as kubeadm's.
    "apiserver-kubelet-client": ("kube-apiserver-kubelet-client", "system:masters"),
}
KUBECONFIGS = ("admin", "controller-manager", "scheduler", "kwok")


def _key(component: str) -> str:
    return f"kube-{component}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kib(pid: int | None) -> int | None:
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class KubeControlPlane:
    name = NAME

    def __init__(self, bind_address: str | None = None, secure_port: int = 6443,
                 start_timeout: float = 180) -> None:
        self._bind = bind_address
        self.secure_port = secure_port
        self.start_timeout = start_timeout

    # -- paths and names --------------------------------------------------------------------
    def bind_address(self, lab: Lab) -> str:
        return self._bind or lab.config.mgmt_ipv4

    def server(self, lab: Lab) -> str:
        return f"https://{self.bind_address(lab)}:{self.secure_port}"

    def dir(self, lab: Lab) -> Path:
        return lab.config.service_dir(NAME)

    def kubeconfig(self, lab: Lab, who: str = "admin") -> Path:
        return self.dir(lab) / f"{who}.kubeconfig"

    # -- up ---------------------------------------------------------------------------------
    def up(self, lab: Lab) -> None:
        if all(lab.alive(_key(c)) for c in components(lab)) and self._ready(lab):
            return
        started = time.monotonic()
        if not build.is_built(lab.config, kwok=lab.config.kwok):
            print("kube: building the control plane from source (once; several minutes)",
                  file=sys.stderr, flush=True)
        bins = build.build(lab.config, kwok=lab.config.kwok)
        self._check_bind_address(lab)
        d = self.dir(lab)
        d.mkdir(parents=True, exist_ok=True)
        pki = Pki(d / "pki", self.bind_address(lab))
        pki.ensure(CLIENTS)
        for who in KUBECONFIGS:
            self._write_kubeconfig(lab, pki, who)
        ports = self._ports(lab)

        etcd_url = f"http://127.0.0.1:{ports['etcd_client']}"
        lab.spawn(_key("etcd"), [
            str(bins.etcd), "--name=lab", f"--data-dir={d / 'etcd'}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{ports['etcd_peer']}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{ports['etcd_peer']}",
            f"--initial-cluster=lab=http://127.0.0.1:{ports['etcd_peer']}",
            "--unsafe-no-fsync", "--log-level=warn", "--quota-backend-bytes=8589934592",
        ], cwd=d)
        self._wait_http(lab, "etcd", f"{etcd_url}/health", None)

        bind = self.bind_address(lab)
        loopback = bind.startswith("127.")
        lab.spawn(_key("apiserver"), [
            str(bins.kube_apiserver),
            f"--etcd-servers={etcd_url}",
            f"--bind-address={bind}", f"--advertise-address={bind}",
            f"--secure-port={self.secure_port}",
            f"--cert-dir={d / 'apiserver-certs'}",
            f"--tls-cert-file={pki.apiserver.cert}", f"--tls-private-key-file={pki.apiserver.key}",
            f"--client-ca-file={pki.ca.cert}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--service-account-issuer={SA_ISSUER}",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            # Request-header (front proxy) auth as kubeadm sets it, so that kcm and the
            # scheduler find a complete extension-apiserver-authentication ConfigMap.
            f"--requestheader-client-ca-file={pki.ca.cert}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={pki.client('front-proxy-client').cert}",
            f"--proxy-client-key-file={pki.client('front-proxy-client').key}",
            f"--kubelet-client-certificate={pki.client('apiserver-kubelet-client').cert}",
            f"--kubelet-client-key={pki.client('apiserver-kubelet-client').key}",
            "--kubelet-preferred-address-types=InternalIP",
            "--authorization-mode=Node,RBAC",
            "--allow-privileged=true",
            "--enable-admission-plugins=NodeRestriction",
            # The kubernetes Service's Endpoints may not point at a loopback address.
            f"--endpoint-reconciler-type={'none' if loopback else 'lease'}",
            "--profiling=false",
            "--v=1",
        ], cwd=d)
        self._wait_http(lab, "kube-apiserver /readyz", f"{self.server(lab)}/readyz", pki,
                        timeout=self.start_timeout)

        common = ["--bind-address=127.0.0.1", "--leader-elect=false"]
        kcm_kc = self.kubeconfig(lab, "controller-manager")
        lab.spawn(_key("controller-manager"), [
            str(bins.kube_controller_manager), *common,
            f"--kubeconfig={kcm_kc}", f"--authentication-kubeconfig={kcm_kc}",
            f"--authorization-kubeconfig={kcm_kc}",
            f"--secure-port={ports['controller_manager']}",
            f"--cert-dir={d / 'controller-manager-certs'}",
            f"--root-ca-file={pki.ca.cert}",
            f"--cluster-signing-cert-file={pki.ca.cert}",
            f"--cluster-signing-key-file={pki.ca.key}",
            "--use-service-account-credentials=true",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
        ], cwd=d)
        sched_kc = self.kubeconfig(lab, "scheduler")
        lab.spawn(_key("scheduler"), [
            str(bins.kube_scheduler), *common,
            f"--kubeconfig={sched_kc}", f"--authentication-kubeconfig={sched_kc}",
            f"--authorization-kubeconfig={sched_kc}",
            f"--secure-port={ports['scheduler']}",
            f"--cert-dir={d / 'scheduler-certs'}",
        ], cwd=d)
        if lab.config.kwok:
            self._start_kwok(lab, bins, ports)
            self._populate(lab)
        self._record(lab, ports, start_seconds=round(time.monotonic() - started, 1))

    def _start_kwok(self, lab: Lab, bins: build.Binaries, ports: dict[str, int]) -> None:
        d = self.dir(lab)
        lab.spawn(_key("kwok"), [
            str(bins.kwok),
            f"--kubeconfig={self.kubeconfig(lab, 'kwok')}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={manifests.KWOK_SELECTOR}",
            f"--config={STAGES}",
            # Heartbeat through Leases (every ~10 s): without it KWOK patches node status only
            # about once a minute, past the controller-manager's 50 s grace period, so nodes
            # flap NotReady and their pods stay not-Ready.
            "--node-lease-duration-seconds=40",
            f"--server-address=127.0.0.1:{ports['kwok']}",
        ], cwd=d)

    def restart_apiserver(self, lab: Lab) -> float:
        """Stop kube-apiserver and start it again with the same flags, etcd untouched (what a
        control-plane upgrade or crash looks like to clients). Returns seconds until ready."""
        key = _key("apiserver")
        record = lab.state.processes.get(key)
        if record is None:
            raise LabError("kube-apiserver is not running")
        started = time.monotonic()
        lab.stop(key)
        lab.spawn(key, record.argv, cwd=self.dir(lab))
        self._wait_http(lab, "kube-apiserver /readyz", f"{self.server(lab)}/readyz",
                        Pki(self.dir(lab) / "pki", self.bind_address(lab)),
                        timeout=self.start_timeout)
        return time.monotonic() - started

    def _check_bind_address(self, lab: Lab) -> None:
        bind = self.bind_address(lab)
        with socket.socket() as sock:
            try:
                sock.bind((bind, 0))
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL:
                    raise LabError(
                        f"kube: {bind} is on no interface; bring the topology service up first"
                        " (or construct KubeControlPlane(bind_address='127.0.0.1'))"
                    ) from exc
                raise

    def _ports(self, lab: Lab) -> dict[str, int]:
        """Ports are chosen once per service dir, so a restarted daemon finds its peers."""
        path = self.dir(lab) / "ports.json"
        if path.exists():
            return {k: int(v) for k, v in json.loads(path.read_text()).items()}
        ports = {k: _free_port() for k in
                 ("etcd_client", "etcd_peer", "controller_manager", "scheduler", "kwok")}
        path.write_text(json.dumps(ports))
        return ports

    def _write_kubeconfig(self, lab: Lab, pki: Pki, who: str) -> None:
        pair: Pair = pki.client(who)
        user = CLIENTS[who][0]
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "lab", "cluster": {
                "server": self.server(lab),
                "certificate-authority-data": Pair(pki.ca.cert, pki.ca.key).cert_b64(),
            }}],
            "users": [{"name": user, "user": {
                "client-certificate-data": pair.cert_b64(),
                "client-key-data": pair.key_b64(),
            }}],
            "contexts": [{"name": f"{user}@lab", "context": {"cluster": "lab", "user": user}}],
            "current-context": f"{user}@lab",
        }
        path = self.kubeconfig(lab, who)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)

    # -- probes -----------------------------------------------------------------------------
    def _ssl(self, lab: Lab) -> ssl.SSLContext:
        pki = Pki(self.dir(lab) / "pki", self.bind_address(lab))
        ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
        admin = pki.client("admin")
        ctx.load_cert_chain(str(admin.cert), str(admin.key))
        return ctx

    def _get(self, lab: Lab, url: str, tls: bool, timeout: float = 3) -> str | None:
        try:
            ctx = self._ssl(lab) if tls else None
            # No proxies from the environment: every URL here is local.
            opener = urllib.request.build_opener(
                urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx)
            )
            with opener.open(url, timeout=timeout) as resp:
                return resp.read().decode() if resp.status == 200 else None
        except (OSError, ssl.SSLError, ValueError):
            return None

    def _wait_http(self, lab: Lab, what: str, url: str, pki: Pki | None,
                   timeout: float = 60) -> None:
        key = _key("etcd" if pki is None else "apiserver")
        deadline = time.monotonic() + timeout
        while self._get(lab, url, pki is not None) is None:
            # wait_for would swallow a probe's exception: fail at once when the daemon died.
            if not lab.alive(key):
                raise LabError(f"{key} died; see its log:\n{tail(lab.log_dir / f'{key}.log')}")
            if time.monotonic() > deadline:
                raise LabError(f"timed out after {timeout}s waiting for {what}\n"
                               + tail(lab.log_dir / f"{key}.log"))
            time.sleep(0.2)

    def _ready(self, lab: Lab) -> bool:
        if not (self.dir(lab) / "pki" / "ca.crt").exists():
            return False
        return self._get(lab, f"{self.server(lab)}/readyz", True) == "ok"

    # -- cluster contents -------------------------------------------------------------------
    def _populate(self, lab: Lab) -> None:
        from . import objects

        objects.populate_kwok(self, lab)

    # -- bookkeeping ------------------------------------------------------------------------
    def _record(self, lab: Lab, ports: dict[str, int], **extra: Any) -> None:
        info = {
            "kubeconfig": str(self.kubeconfig(lab)),
            "server": self.server(lab),
            "version": build.KUBE_VERSION,
            "etcd": f"http://127.0.0.1:{ports['etcd_client']}",
            "ca": str(self.dir(lab) / "pki" / "ca.crt"),
            "nodes": [h.name for h in lab.config.node_hosts],
            "pids": {c: lab.pid(_key(c)) for c in components(lab)},
            "ports": ports,
            **{k: v for k, v in lab.info(NAME).items() if k == "start_seconds"},
            **extra,
        }
        lab.record(NAME, info)

    def status(self, lab: Lab) -> dict[str, Any]:
        info = dict(lab.info(NAME))
        info["alive"] = {c: lab.alive(_key(c)) for c in components(lab)}
        info["rss_kib"] = {c: _rss_kib(lab.pid(_key(c))) for c in components(lab)}
        info["readyz"] = self._ready(lab)
        info["built"] = build.is_built(lab.config, kwok=lab.config.kwok)
        info["up"] = all(info["alive"].values()) and info["readyz"]
        return info

    # -- down -------------------------------------------------------------------------------
    def down(self, lab: Lab) -> None:
        for component in reversed(COMPONENTS):
            lab.stop(_key(component))
        shutil.rmtree(self.dir(lab), ignore_errors=True)
        lab.forget(NAME)
