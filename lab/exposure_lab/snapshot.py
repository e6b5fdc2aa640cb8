"""What the machine looks like from the lab's point of view, to prove teardown is complete."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .config import LabConfig
from .kube.host import all_hierarchies, read_sysctls
from .topology import existing_netns

# Executables the lab starts; a new process running one of these after teardown is a leak.
LAB_DAEMONS = (
    "zebra", "bgpd", "staticd", "bfdd", "kea-dhcp4", "kea-ctrl-agent", "dnsmasq", "udhcpc",
    "postgres", "redis-server", "gunicorn", "netbox", "etcd", "kube-apiserver",
    "kube-controller-manager", "kube-scheduler", "kwok", "kubelet", "containerd",
    "containerd-shim-runc-v2", "kube-proxy", "runc", "http-backend", "traefik", "pause",
    "baremetal-lb",
)


def _processes() -> dict[int, str]:
    procs = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline:
            procs[int(entry.name)] = cmdline.strip()
    return procs


def _is_lab_daemon(cmdline: str) -> bool:
    words = cmdline.split()
    return any(os.path.basename(w).startswith(LAB_DAEMONS) for w in words[:3])


@dataclass(frozen=True)
class MachineSnapshot:
    namespaces: frozenset[str]
    links: frozenset[str]
    mounts: frozenset[str]
    daemons: frozenset[tuple[int, str]]
    run_dir_exists: bool
    cgroups: frozenset[str]            # the nodes' cgroup roots, in any v1 hierarchy
    sysctls: tuple[tuple[str, str], ...]  # host values the kubelet changes

    @classmethod
    def take(cls, config: LabConfig) -> MachineSnapshot:
        return cls(
            namespaces=frozenset(existing_netns()),
            links=frozenset(os.listdir("/sys/class/net")),
            mounts=frozenset(line.split()[1] for line in
                             Path("/proc/mounts").read_text().splitlines()),
            daemons=frozenset((pid, cmd) for pid, cmd in _processes().items()
                              if _is_lab_daemon(cmd)),
            run_dir_exists=config.run_dir.exists(),
            cgroups=frozenset(str(path) for hierarchy in all_hierarchies()
                              for path in hierarchy.glob("exposure-lab-*")),
            sysctls=tuple(sorted(read_sysctls().items())),
        )

    def added_since(self, before: MachineSnapshot) -> list[str]:
        added = [f"namespace {n}" for n in sorted(self.namespaces - before.namespaces)]
        added += [f"link {n}" for n in sorted(self.links - before.links)]
        added += [f"mount {m}" for m in sorted(self.mounts - before.mounts)]
        added += [f"process {pid}: {cmd}" for pid, cmd in sorted(self.daemons - before.daemons)]
        if self.run_dir_exists and not before.run_dir_exists:
            added.append("the lab run directory")
        added += [f"cgroup {c}" for c in sorted(self.cgroups - before.cgroups)]
        added += [f"sysctl {k}={v} (was {dict(before.sysctls).get(k)})"
                  for k, v in self.sysctls if (k, v) not in before.sysctls]
        return added
