"""Real Kubernetes nodes: in every node namespace a containerd and a kubelet, pods on a per-node
CIDR with host-gw routes between nodes, kube-proxy as a DaemonSet reading its ConfigMap, and the
lab's locally built images loaded into each containerd.

```
 xl-node1 (198.51.100.11)                     xl-node2 (198.51.100.12)
   containerd  <- kubelet --node-ip .11          containerd  <- kubelet --node-ip .12
   cni0 198.19.129.1/24 -- pods 198.19.129.x     cni0 198.19.130.1/24 -- pods 198.19.130.x
   route 198.19.130.0/24 via .12  ------------>  route 198.19.129.0/24 via .11
   nft: pod traffic leaving the pod network is masqueraded (reaches the apiserver on .250)
```
`down` stops each kubelet, kills and deletes every container, stops containerd and any shim it
left (all by PID), unmounts what is under the node's directories, removes the node's cgroups and
puts back the kernel sysctls the kubelet changed.
"""

from __future__ import annotations

import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from ..config import Host, LabConfig
from ..core import Lab, LabError, tail, wait_for
from ..images import import_into
from . import build, containerd, host, node_files, objects
from .node_files import NodePaths
from .pki import Pair, Pki

NAME = "nodes"
REPOSITORY = "localhost/exposure-lab"   # every image the lab builds (images.model.REPOSITORY)
MASQ_TABLE = "exposure-lab-pods"


def paths(config: LabConfig, node: Host) -> NodePaths:
    return NodePaths(node.name, config.run_dir / "nodes" / node.name,
                     config.cache_dir / "nodes" / node.name)


def kubelet_key(node: str) -> str:
    return f"node-{node}-kubelet"


def _log(message: str) -> None:
    print(f"[lab] nodes: {message}", file=sys.stderr, flush=True)


class KubeNodes:
    name = NAME

    # -- up -------------------------------------------------------------------------------------
    def up(self, lab: Lab) -> None:
        kube = lab.info("kube")
        if not kube:
            raise LabError("nodes: the kube service (control plane) must be up first")
        config = lab.config
        if config.kwok:
            return          # paper nodes: the control plane's KWOK keeps them Ready
        hosts = config.node_hosts
        if self._running(lab) and self._ready(lab, timeout=2):
            return
        started = time.monotonic()
        bins = build.build(config)
        from ..images import build_all

        images = build_all(config, progress=lambda line: _log(line))
        with lab.transaction() as state:
            # Once per lab: the machine's own values, before any kubelet changes them.
            state.services.setdefault(NAME, {}).setdefault("sysctls", host.read_sysctls())
        pki = Pki(Path(kube["ca"]).parent, kube["server"].split("//")[1].split(":")[0])
        pki.ensure({f"node-{h.name}": (f"system:node:{h.name}", "system:nodes") for h in hosts})
        api = objects.api_client(kube["kubeconfig"])
        for index, node in enumerate(hosts, 1):
            _ensure_node_object(api, node.name, node_files.pod_cidr(index))
        _log(f"starting containerd and kubelet on {len(hosts)} nodes")
        with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
            list(pool.map(lambda item: self._start_node(lab, bins, pki, kube, images, *item),
                          enumerate(hosts, 1)))
        objects.apply_kube_proxy(api, kube["server"], images["kube-proxy"].ref,
                                 str(config.run_dir / "xtables.lock"))
        api.close()
        self._ready(lab, timeout=120, explain=True)
        self._record(lab, images, seconds=round(time.monotonic() - started, 1))

    def _start_node(self, lab: Lab, bins: build.Binaries, pki: Pki, kube: dict[str, Any],
                    images: dict[str, Any], index: int, node: Host) -> None:
        assert node.ipv4
        p = paths(lab.config, node)
        for directory in (p.state, p.images, p.cni_conf_dir, p.kubelet_root, p.kubelet_certs,
                          p.pod_logs, p.runc_root):
            directory.mkdir(parents=True, exist_ok=True)
        self._network(lab, node, index)
        host.make_cgroup(p.cgroup_root)
        p.containerd_config.write_text(node_files.containerd_config(p, images["pause"].ref))
        (p.cni_conf_dir / "10-exposure-lab.conflist").write_text(node_files.cni_config(p, index))
        if not lab.alive(containerd.key(node.name)):
            containerd.start(lab, node.netns, p, bins)
        loaded = set(containerd.images(lab, bins, p))
        wanted = {image.ref for image in images.values()}
        for image in images.values():
            import_into(p.socket, containerd.NAMESPACE, image, ctr=str(bins.ctr),
                        snapshotter="overlayfs", force=not image.reused)
        # Earlier builds of the lab's images: nothing refers to them any more.
        stale = sorted(ref for ref in loaded - wanted if ref.startswith(REPOSITORY + "/"))
        if stale:
            containerd.ctr(lab, bins, p, "images", "rm", *stale, check=False)
        p.kubelet_config.write_text(node_files.kubelet_config(p, node.ipv4, pki.ca.cert))
        _write_kubeconfig(p.kubeconfig, kube["server"], pki, f"node-{node.name}",
                          f"system:node:{node.name}")
        lab.spawn(kubelet_key(node.name), containerd.nsenter(
            node.netns, node_files.kubelet_argv(bins.kubelet, p, node.ipv4)))

    def _network(self, lab: Lab, node: Host, index: int) -> None:
        """Forwarding on, a route to every other node's pods (host-gw), and masquerading for pod
        traffic that leaves the pod network (the apiserver, the LAN)."""
        lab.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"], netns=node.netns)
        # The Service CIDRs on the LAN device: with no default route (nothing leaves the lab),
        # a ClusterIP would be "network unreachable" for the node's own processes (kubelet,
        # host-network pods such as the speaker) before kube-proxy's DNAT could rewrite it.
        for cidr in (node_files.SERVICE_CIDR_V4, node_files.SERVICE_CIDR_V6):
            lab.run(["ip", "route", "replace", cidr, "dev", "eth0"], netns=node.netns)
        for other_index, other in enumerate(lab.config.node_hosts, 1):
            if other.name != node.name and other.ipv4:
                lab.run(["ip", "route", "replace", node_files.pod_cidr(other_index), "via",
                         other.ipv4], netns=node.netns)
        pods = node_files.CLUSTER_CIDR
        lab.run(["nft", "-f", "-"], netns=node.netns, input=(
            f"table ip {MASQ_TABLE}\n"
            f"delete table ip {MASQ_TABLE}\n"
            f"table ip {MASQ_TABLE} {{\n"
            "  chain postrouting {\n"
            "    type nat hook postrouting priority srcnat;\n"
            f"    ip saddr {pods} ip daddr != {pods} oifname \"eth0\" masquerade\n"
            "  }\n"
            "}\n"))

    # -- readiness --------------------------------------------------------------------------
    def _running(self, lab: Lab) -> bool:
        return all(lab.alive(containerd.key(h.name)) and lab.alive(kubelet_key(h.name))
                   for h in lab.config.node_hosts)

    def _ready(self, lab: Lab, timeout: float, explain: bool = False) -> bool:
        from kubernetes import client

        api = objects.api_client(lab.info("kube")["kubeconfig"])
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        names = {h.name for h in lab.config.node_hosts}

        def nodes_ready() -> bool:
            return names <= objects.ready_nodes(core)

        def proxies_ready() -> bool:
            return objects.daemonset_rolled_out(apps, "kube-system", "kube-proxy", len(names))

        def why() -> str:
            logs = "\n".join(f"--- {h.name} kubelet:\n" + tail(lab.log_dir /
                                                              f"{kubelet_key(h.name)}.log", 15)
                             for h in lab.config.node_hosts)
            return logs

        try:
            wait_for("nodes Ready", nodes_ready, timeout=timeout, interval=0.2,
                     on_timeout=why if explain else None)
            wait_for("kube-proxy DaemonSet rolled out", proxies_ready, timeout=timeout,
                     interval=0.2, on_timeout=why if explain else None)
        except LabError:
            if explain:
                raise
            return False
        finally:
            api.close()
        return True

    # -- bookkeeping ------------------------------------------------------------------------
    def _record(self, lab: Lab, images: dict[str, Any], **extra: Any) -> None:
        info = dict(lab.info(NAME))
        info.update({
            "nodes": {h.name: {"containerd": lab.pid(containerd.key(h.name)),
                               "kubelet": lab.pid(kubelet_key(h.name)),
                               "pod_cidr": node_files.pod_cidr(i),
                               "socket": str(paths(lab.config, h).socket)}
                      for i, h in enumerate(lab.config.node_hosts, 1)},
            "images": {name: image.ref for name, image in images.items()},
            **extra,
        })
        lab.record(NAME, info)

    def status(self, lab: Lab) -> dict[str, Any]:
        if lab.config.kwok:
            return {"up": True, "kind": "kwok (paper nodes, nothing runs)"}
        info = dict(lab.info(NAME))
        info.pop("sysctls", None)
        bins = build.binaries(lab.config)
        nodes = {}
        for h in lab.config.node_hosts:
            p = paths(lab.config, h)
            nodes[h.name] = {"containerd": lab.pid(containerd.key(h.name)),
                             "kubelet": lab.pid(kubelet_key(h.name)),
                             "images": containerd.images(lab, bins, p)
                             if lab.alive(containerd.key(h.name)) else []}
        info["nodes"] = nodes
        info["up"] = bool(lab.info("kube")) and self._running(lab) and \
            self._ready(lab, timeout=1)
        return info

    # -- down -----------------------------------------------------------------------------------
    def down(self, lab: Lab) -> None:
        problems: list[str] = []
        bins = build.binaries(lab.config)
        for node in lab.config.node_hosts:
            lab.stop(kubelet_key(node.name))
        for node in lab.config.node_hosts:
            p = paths(lab.config, node)
            problems += containerd.stop(lab, bins, p)
            problems += [f"mount {m}" for m in containerd.unmount_under(p.state, p.images)]
            tasks = host.cgroup_tasks(p.cgroup_root)
            problems += [f"pid {pid} still in cgroup {p.cgroup_root}" for pid in sorted(tasks)]
            problems += [f"cgroup {c}" for c in host.remove_cgroup(p.cgroup_root)]
            shutil.rmtree(p.state, ignore_errors=True)
        saved = lab.info(NAME).get("sysctls")
        if saved:
            problems += [f"sysctl {k} not restored" for k in host.restore_sysctls(saved)]
        lab.forget(NAME)
        if problems:
            raise LabError("nodes: teardown left " + "; ".join(problems))


# -- Kubernetes objects -------------------------------------------------------------------------

def _ensure_node_object(api: Any, name: str, pod_cidr: str) -> None:
    """Create the Node before its kubelet registers it, so it carries its pod CIDR (kubelet
    keeps an existing Node and only updates its status)."""
    from kubernetes import client

    objects.create(client.CoreV1Api(api).create_node, {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
        "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]}})


def _write_kubeconfig(path: Path, server: str, pki: Pki, client_name: str, user: str) -> None:
    pair: Pair = pki.client(client_name)
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "lab", "cluster": {
            "server": server, "certificate-authority-data": Pair(pki.ca.cert, pki.ca.key).cert_b64()}}],
        "users": [{"name": user, "user": {"client-certificate-data": pair.cert_b64(),
                                          "client-key-data": pair.key_b64()}}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": user}}],
        "current-context": "lab",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
