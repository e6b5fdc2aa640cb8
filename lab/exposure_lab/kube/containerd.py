"""One containerd per lab node: start it inside the node's network namespace, talk to it with
`ctr`, and take down everything it ran (containers, shims, mounts) by PID and path."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from ..core import Lab, LabError, wait_for
from .build import Binaries
from .node_files import NodePaths

NAMESPACE = "k8s.io"   # the CRI plugin's containerd namespace


def nsenter(netns: str, argv: list[str]) -> list[str]:
    """Enter only the node's network namespace. `ip netns exec` would also remount /sys for the
    namespace, which hides /sys/fs/cgroup from containerd and the kubelet."""
    return ["nsenter", f"--net=/run/netns/{netns}", "--", *argv]


def key(node: str) -> str:
    return f"node-{node}-containerd"


def start(lab: Lab, netns: str, paths: NodePaths, bins: Binaries) -> None:
    lab.spawn(key(paths.name), nsenter(netns, [str(bins.containerd), "--config",
                                               str(paths.containerd_config)]))
    wait_for(f"{paths.name}: containerd answering on {paths.socket}",
             lambda: paths.socket.exists() and ctr(lab, bins, paths, "version", check=False)
             .returncode == 0, timeout=30, interval=0.05)


def ctr(lab: Lab, bins: Binaries, paths: NodePaths, *args: str, check: bool = True,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return lab.run([str(bins.ctr), "--address", str(paths.socket), "--namespace", NAMESPACE,
                    *args], check=check, timeout=timeout)


def images(lab: Lab, bins: Binaries, paths: NodePaths) -> list[str]:
    if not paths.socket.exists():
        return []
    out = ctr(lab, bins, paths, "images", "ls", "--quiet", check=False)
    return sorted(line for line in out.stdout.split() if not line.startswith("sha256:"))


def remove_containers(lab: Lab, bins: Binaries, paths: NodePaths) -> None:
    """Kill every task (SIGKILL: a PID-1 busybox httpd ignores SIGTERM) and delete every
    container, so the shims exit and the node's mounts can go."""
    if not (paths.socket.exists() and lab.alive(key(paths.name))):
        return
    tasks = ctr(lab, bins, paths, "tasks", "ls", "--quiet", check=False).stdout.split()
    for task in tasks:
        ctr(lab, bins, paths, "tasks", "kill", "--all", "--signal", "SIGKILL", task, check=False)
    for task in tasks:
        for _ in range(50):
            done = ctr(lab, bins, paths, "tasks", "delete", "--force", task, check=False)
            if done.returncode == 0 or "not found" in done.stderr:
                break
            time.sleep(0.1)
    for container in ctr(lab, bins, paths, "containers", "ls", "--quiet",
                         check=False).stdout.split():
        ctr(lab, bins, paths, "containers", "delete", container, check=False)


def shim_pids(paths: NodePaths) -> list[int]:
    """Shims this node's containerd started: they name its socket in their arguments."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"containerd-shim-runc-v2") and \
                str(paths.socket).encode() in argv:
            found.append(int(proc.name))
    return found


def stop(lab: Lab, bins: Binaries, paths: NodePaths) -> list[str]:
    """Containers, then containerd, then any shim it left; returns what could not be stopped."""
    remove_containers(lab, bins, paths)
    lab.stop(key(paths.name))
    left = []
    for pid in shim_pids(paths):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 5
    while shim_pids(paths) and time.monotonic() < deadline:
        time.sleep(0.05)
    left += [f"containerd shim pid {pid} ({paths.name})" for pid in shim_pids(paths)]
    return left


def unmount_under(*roots: Path) -> list[str]:
    """Unmount every mount point below `roots`, deepest first (container rootfs overlays,
    pod volumes, pod network namespaces); returns the ones that stayed."""
    prefixes = tuple(str(r).rstrip("/") + "/" for r in roots)
    left: list[str] = []
    for _ in range(3):
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        mine = sorted({m.replace("\\040", " ") for m in mounts if m.startswith(prefixes)},
                      key=len, reverse=True)
        if not mine:
            return []
        left = []
        for mount in mine:
            if subprocess.run(["umount", "-l", mount], capture_output=True,
                              check=False).returncode != 0:
                left.append(mount)
    return left


def raise_if(problems: list[str], what: str) -> None:
    if problems:
        raise LabError(f"{what}: " + "; ".join(problems))

