"""A node's files keep every movable path under the node's own directories, and say what the
lab needs on this kernel (restrict_oom_score_adj, cgroup v1, netns under the state dir)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml

from exposure_lab.kube import node_files
from exposure_lab.kube.node_files import NodePaths


@pytest.fixture
def paths(tmp_path: Path) -> NodePaths:
    return NodePaths("node2", tmp_path / "run" / "node2", tmp_path / "cache" / "node2")


def _under(path: str, *roots: Path) -> bool:
    return any(Path(path).is_relative_to(root) for root in roots)


def test_pod_cidrs_are_per_node_inside_the_cluster_cidr() -> None:
    assert node_files.pod_cidr(1) == "198.19.129.0/24"
    assert node_files.pod_cidr(60) == "198.19.188.0/24"
    assert len({node_files.pod_cidr(i) for i in range(1, 61)}) == 60


def test_containerd_config_keeps_everything_in_the_node(paths: NodePaths) -> None:
    config = tomllib.loads(node_files.containerd_config(paths, "localhost/exposure-lab/pause:1"))
    assert config["version"] == 3
    for value in (config["root"], config["state"], config["grpc"]["address"],
                  config["ttrpc"]["address"]):
        assert _under(value, paths.state, paths.images), value
    runtime = config["plugins"]["io.containerd.cri.v1.runtime"]
    assert runtime["restrict_oom_score_adj"] is True
    assert runtime["netns_mounts_under_state_dir"] is True
    runc = runtime["containerd"]["runtimes"]["runc"]["options"]
    assert runc["SystemdCgroup"] is False and _under(runc["Root"], paths.state)
    assert _under(runtime["cni"]["conf_dir"], paths.state)
    images = config["plugins"]["io.containerd.cri.v1.images"]
    assert images["pinned_images"]["sandbox"] == "localhost/exposure-lab/pause:1"


def test_cni_config_is_a_bridge_on_the_nodes_pod_cidr(paths: NodePaths) -> None:
    conf = json.loads(node_files.cni_config(paths, 2))
    bridge = conf["plugins"][0]
    assert bridge["type"] == "bridge" and bridge["ipMasq"] is False
    assert bridge["ipam"]["ranges"] == [[{"subnet": "198.19.130.0/24",
                                          "gateway": "198.19.130.1"}]]
    assert _under(bridge["ipam"]["dataDir"], paths.state)


def test_kubelet_config(paths: NodePaths, tmp_path: Path) -> None:
    config = yaml.safe_load(node_files.kubelet_config(paths, "198.51.100.12", tmp_path / "ca"))
    assert config["failCgroupV1"] is False and config["cgroupDriver"] == "cgroupfs"
    assert config["cgroupRoot"] == "/exposure-lab-node2"
    assert config["address"] == "198.51.100.12"
    assert config["containerRuntimeEndpoint"] == f"unix://{paths.socket}"
    assert _under(config["podLogsDir"], paths.state)
    assert config["authentication"]["anonymous"]["enabled"] is False
    argv = node_files.kubelet_argv(Path("/bin/kubelet"), paths, "198.51.100.12")
    assert "--hostname-override=node2" in argv and "--node-ip=198.51.100.12" in argv
    assert f"--root-dir={paths.kubelet_root}" in argv
