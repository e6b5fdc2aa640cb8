"""What a lab node runs from: its paths, containerd's config, the CNI bridge and the kubelet's
configuration. Pure functions of the node and the lab's plan, so they are unit-tested.

Every path a setting can move lives under the node's own directories, so nothing of a node
touches what another lab or a real kubelet/containerd on this machine would use:
- `state` (tmpfs, under the lab's run dir): sockets, containerd state, runc root, kubelet root,
  pod logs, CNI config and cache, pod network namespaces (`netns_mounts_under_state_dir`).
- `images` (disk, under the cache dir): containerd's root (content store and snapshots), kept
  across `lab down` like the other build caches, so a warm `lab up` imports nothing.
What cannot be moved (kubelet: /var/lib/kubelet/device-plugins, /var/log/containers) is listed
in docs/lab.md.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# RFC 2544 benchmarking space, never routed anywhere: Services take the low half of
# 198.19.0.0/16 and pods the high half, one /24 per node (node N: 198.19.(128+N).0/24). The
# rest of 198.18.0.0/15 is left to tests that need addresses nobody uses (pools on paper).
SERVICE_CIDR_V4 = "198.19.0.0/18"
SERVICE_CIDR_V6 = "2001:db8:96::/112"
CLUSTER_CIDR = "198.19.128.0/17"
CNI_BIN_DIR = "/usr/lib/cni"          # Debian's containernetworking-plugins
RUNC = "/usr/sbin/runc"               # Debian's runc


def pod_cidr(index: int) -> str:
    """The pod network of node `index` (1-based)."""
    network = ipaddress.ip_network(CLUSTER_CIDR)
    return str(list(network.subnets(new_prefix=24))[index])


class _Under:
    """A path below one of NodePaths' two roots, read as an attribute (paths.socket): the
    node's layout stays one table instead of a property per path."""

    def __init__(self, root: str, *parts: str) -> None:
        self.root, self.parts = root, parts

    def __get__(self, paths: NodePaths, owner: type | None = None) -> Path:
        root: Path = getattr(paths, self.root)
        return root.joinpath(*self.parts)


@dataclass(frozen=True)
class NodePaths:
    name: str                 # node1
    state: Path               # tmpfs: /run/exposure-lab/nodes/node1
    images: Path              # disk: ~/.cache/baremetal-exposure/nodes/node1

    containerd_root = _Under("images", "containerd")
    containerd_state = _Under("state", "containerd")
    socket = _Under("state", "containerd.sock")
    containerd_config = _Under("state", "containerd.toml")
    runc_root = _Under("state", "runc")
    cni_conf_dir = _Under("state", "cni", "net.d")
    kubelet_root = _Under("state", "kubelet")
    kubelet_certs = _Under("state", "kubelet-pki")
    kubelet_config = _Under("state", "kubelet.yaml")
    kubeconfig = _Under("state", "kubelet.kubeconfig")
    pod_logs = _Under("state", "pod-logs")

    @property
    def cgroup_root(self) -> str:
        return f"/exposure-lab-{self.name}"


def containerd_config(paths: NodePaths, sandbox_image: str) -> str:
    """containerd v2 (config version 3) for one node, CRI with runc and the CNI bridge."""
    runtime = "plugins.'io.containerd.cri.v1.runtime'"
    return "\n".join([
        "version = 3",
        f"root = {_toml(paths.containerd_root)}",
        f"state = {_toml(paths.containerd_state)}",
        "",
        "[grpc]",
        f"  address = {_toml(paths.socket)}",
        "",
        "[ttrpc]",
        f"  address = {_toml(str(paths.socket) + '.ttrpc')}",
        "",
        "[debug]",
        "  level = 'warn'",
        "",
        "[plugins.'io.containerd.grpc.v1.cri']",
        "  disable_tcp_service = true",
        "",
        f"[{runtime}]",
        # The machine's root lacks CAP_SYS_RESOURCE: lowering oom_score_adj below containerd's
        # own fails every sandbox unless it is clamped (NOTES: "restrict_oom_score_adj").
        "  restrict_oom_score_adj = true",
        # Pod network namespaces under the node's state dir, not the host's /run/netns.
        "  netns_mounts_under_state_dir = true",
        "  enable_selinux = false",
        "  disable_apparmor = true",
        "",
        f"[{runtime}.containerd]",
        "  default_runtime_name = 'runc'",
        "",
        f"[{runtime}.containerd.runtimes.runc]",
        "  runtime_type = 'io.containerd.runc.v2'",
        "",
        f"[{runtime}.containerd.runtimes.runc.options]",
        f"  BinaryName = {_toml(RUNC)}",
        f"  Root = {_toml(paths.runc_root)}",
        "  SystemdCgroup = false",
        "",
        f"[{runtime}.cni]",
        f"  bin_dirs = [{_toml(CNI_BIN_DIR)}]",
        f"  conf_dir = {_toml(paths.cni_conf_dir)}",
        "  max_conf_num = 1",
        "",
        "[plugins.'io.containerd.cri.v1.images']",
        "  snapshotter = 'overlayfs'",
        "",
        "[plugins.'io.containerd.cri.v1.images'.pinned_images]",
        f"  sandbox = {_toml(sandbox_image)}",
        "",
    ])


def cni_config(paths: NodePaths, index: int) -> str:
    """The bridge plugin with host-local addresses from the node's pod CIDR. No ipMasq: the lab
    masquerades pod traffic leaving the pod network itself (one nft rule per node), so pod to
    pod traffic between nodes keeps its source address, as on a host-gw network."""
    subnet = pod_cidr(index)
    gateway = str(ipaddress.ip_network(subnet).network_address + 1)
    return json.dumps({
        "cniVersion": "1.0.0",
        "name": "exposure-lab",
        "plugins": [
            {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False,
             "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet, "gateway": gateway}]],
                      "routes": [{"dst": "0.0.0.0/0"}],
                      "dataDir": str(paths.state / "cni" / "networks")}},
            {"type": "loopback"},
        ],
    }, indent=2) + "\n"


def kubelet_config(paths: NodePaths, node_ip: str, ca_file: Path) -> str:
    config: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": node_ip,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": str(ca_file)}},
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": paths.cgroup_root,
        # This kernel has cgroup v1 only (v2 is a side mount): kubelet then warns, not fails.
        "failCgroupV1": False,
        "failSwapOn": False,
        "containerRuntimeEndpoint": f"unix://{paths.socket}",
        "imageServiceEndpoint": f"unix://{paths.socket}",
        "podLogsDir": str(paths.pod_logs),
        "resolvConf": "",
        # Several nodes share one machine's disk and memory: never evict for the lab's sake,
        # never garbage-collect the locally built images (nothing could pull them back).
        "evictionHard": {"memory.available": "1Mi", "nodefs.available": "1%",
                         "nodefs.inodesFree": "1%", "imagefs.available": "1%"},
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "serializeImagePulls": False,
        "shutdownGracePeriod": "0s",
        "nodeStatusReportFrequency": "10s",
        "maxPods": 110,
        # The serving certificate is self-signed by the kubelet into --cert-dir.
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
    }
    return yaml.safe_dump(config, sort_keys=True)


def kubelet_argv(binary: Path, paths: NodePaths, node_ip: str) -> list[str]:
    return [
        str(binary),
        f"--config={paths.kubelet_config}",
        f"--kubeconfig={paths.kubeconfig}",
        f"--root-dir={paths.kubelet_root}",
        f"--cert-dir={paths.kubelet_certs}",
        f"--hostname-override={paths.name}",
        f"--node-ip={node_ip}",
        "--v=1",
    ]


def _toml(value: object) -> str:
    """A TOML basic string (JSON's escaping is a subset TOML accepts)."""
    return json.dumps(str(value))
