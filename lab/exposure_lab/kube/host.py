"""The host-wide things a kubelet touches that a namespace does not isolate: cgroups and three
kernel sysctls. The lab makes the first and gives back the second."""

from __future__ import annotations

import os
import time
from pathlib import Path

CGROUP_FS = Path("/sys/fs/cgroup")
# kubelet's container manager sets these (protectKernelDefaults: false) on start; they are not
# per network namespace, so the lab records the machine's values first and restores them.
KUBELET_SYSCTLS = ("vm.overcommit_memory", "kernel.panic", "kernel.panic_on_oops")


def _sysctl_path(key: str) -> Path:
    return Path("/proc/sys") / key.replace(".", "/")


def read_sysctls() -> dict[str, str]:
    return {key: _sysctl_path(key).read_text().strip() for key in KUBELET_SYSCTLS}


def restore_sysctls(saved: dict[str, str]) -> list[str]:
    """Write back what was saved; return the keys that still differ."""
    for key, value in saved.items():
        path = _sysctl_path(key)
        if path.read_text().strip() != value:
            path.write_text(value)
    return [key for key, value in saved.items() if _sysctl_path(key).read_text().strip() != value]


def v1_hierarchies() -> list[Path]:
    """Every cgroup v1 hierarchy mounted under /sys/fs/cgroup (kubelet's cgroupfs driver uses
    them all, the named systemd one included). The cgroup2 side mount is not one of them."""
    return _mounted_under_cgroup_fs({"cgroup"})


def all_hierarchies() -> list[Path]:
    """The v1 hierarchies plus the cgroup2 side mount (/sys/fs/cgroup/unified on a hybrid host):
    runc mirrors each container's cgroup there, so teardown and the leftover check must look
    there too even though the kubelet's cgroupRoot is only created in v1."""
    return _mounted_under_cgroup_fs({"cgroup", "cgroup2"})


def _mounted_under_cgroup_fs(fstypes: set[str]) -> list[Path]:
    found = []
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mountpoint, fstype = line.split()[:3]
        if fstype in fstypes and mountpoint.startswith(str(CGROUP_FS) + "/"):
            found.append(Path(mountpoint))
    return sorted(found)


def make_cgroup(name: str) -> list[Path]:
    """Create /<name> in every hierarchy (kubelet's cgroupRoot must exist beforehand); cpuset
    needs its cpus and mems filled in before anything can join it."""
    made = []
    for hierarchy in v1_hierarchies():
        path = hierarchy / name.strip("/")
        path.mkdir(exist_ok=True)
        for knob in ("cpuset.cpus", "cpuset.mems"):
            own = path / knob
            if own.exists() and not own.read_text().strip():
                own.write_text((hierarchy / knob).read_text())
        made.append(path)
    return made


def remove_cgroup(name: str, timeout: float = 10) -> list[str]:
    """Remove /<name> and everything under it, deepest first, in every hierarchy. A cgroup with
    a task left is retried until `timeout` (a dying process leaves it late); what stays is
    returned."""
    deadline = time.monotonic() + timeout
    left: list[str] = []
    for hierarchy in all_hierarchies():
        top = hierarchy / name.strip("/")
        if not top.is_dir():
            continue
        for path in sorted(_tree(top), key=lambda p: len(p.parts), reverse=True):
            while True:
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        left.append(str(path))
                        break
                    time.sleep(0.1)
    return left


def cgroup_tasks(name: str) -> set[int]:
    """PIDs still in /<name> (any hierarchy), to name what a teardown failed to stop."""
    pids: set[int] = set()
    for hierarchy in all_hierarchies():
        top = hierarchy / name.strip("/")
        if top.is_dir():
            for path in _tree(top):
                procs = path / "cgroup.procs"
                if procs.exists():
                    pids.update(int(p) for p in procs.read_text().split())
    return pids


def _tree(top: Path) -> list[Path]:
    return [top, *(Path(root) / d for root, dirs, _ in os.walk(top) for d in dirs)]
