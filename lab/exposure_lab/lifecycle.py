"""Bring the whole lab (or some services) up, report on it, take it all down."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

from . import services
from .config import LabConfig
from .core import Lab, LabError
from .resources import memory_by_process
from .topology import check_isolated, lab_namespaces


def _log(message: str) -> None:
    print(f"[lab] {message}", file=sys.stderr, flush=True)


def resolve(only: list[str] | None) -> list[str]:
    if not only:
        return list(services.ALL)
    unknown = sorted(set(only) - set(services.ALL))
    if unknown:
        raise LabError(f"unknown service(s) {unknown}; known: {services.ALL}")
    # The wire comes first whatever was asked for: every service lives on it.
    return [name for name in services.ALL if name in only or name == "topology"]


def up(config: LabConfig, only: list[str] | None = None) -> Lab:
    lab = Lab(config)
    state = lab.state
    if state.processes and not any(p.alive() for p in state.processes.values()):
        # Every daemon of a previous lab is gone (machine restarted, session killed) but its
        # namespaces and files may remain: start from a clean slate, not from stale config.
        _log("found a stale lab (no recorded process alive): cleaning it up first")
        down(config)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    for name in resolve(only):
        started = time.monotonic()
        services.load(name).up(lab)
        _log(f"{name} up ({time.monotonic() - started:.1f}s)")
    problems = check_isolated(lab, config)
    if problems:
        raise LabError("lab is not isolated: " + "; ".join(problems))
    return lab


def down(config: LabConfig) -> list[str]:
    """Take everything down; return what was still found afterwards (should be empty)."""
    lab = Lab(config)
    errors: list[str] = []
    for name in reversed(services.ALL):
        try:
            services.load(name).down(lab)
        except Exception as exc:  # noqa: BLE001 - keep tearing down whatever fails
            errors.append(f"{name}: {exc}")
    # Safety net: anything still recorded is ours and goes, by PID.
    for key in list(lab.state.processes):
        lab.stop(key)
    shutil.rmtree(config.run_dir, ignore_errors=True)
    leftovers = leftovers_of(config)
    for error in errors:
        _log(f"error during teardown: {error}")
    return leftovers + errors


def leftovers_of(config: LabConfig) -> list[str]:
    """Everything a lab of this prefix could leave behind: namespaces, mounts, links, files."""
    found = [f"namespace {ns}" for ns in lab_namespaces(config.prefix)]
    if Path(f"/sys/class/net/{config.mgmt_veth}").exists():
        found.append(f"link {config.mgmt_veth}")
    mounts = Path("/proc/mounts").read_text().splitlines()
    found += [f"mount {m.split()[1]}" for m in mounts
              if f"/run/netns/{config.prefix}-" in m or str(config.run_dir) in m]
    if config.run_dir.exists():
        found.append(f"directory {config.run_dir}")
    return found


def status(config: LabConfig) -> dict[str, Any]:
    lab = Lab(config)
    report: dict[str, Any] = {"run_dir": str(config.run_dir), "services": {}}
    for name in services.ALL:
        try:
            report["services"][name] = services.load(name).status(lab)
        except Exception as exc:  # noqa: BLE001 - status must report, not crash
            report["services"][name] = {"up": False, "error": str(exc)}
    report["up"] = all(s.get("up") for s in report["services"].values())
    memory = memory_by_process(lab)
    report["memory_rss_mib"] = {"total": round(sum(memory.values()) / 1024),
                                **{k: round(v / 1024) for k, v in sorted(memory.items())}}
    return report


def restart(config: LabConfig, name: str) -> None:
    lab = Lab(config)
    service = services.load(name)
    if hasattr(service, "restart"):
        service.restart(lab)
    else:
        service.down(lab)
        service.up(lab)


def environment(config: LabConfig) -> dict[str, str]:
    """Connection settings and secrets of the running lab, as the environment variables the
    collection's roles read (the way an AWX credential would inject them)."""
    lab = Lab(config)
    env: dict[str, str] = {}
    kube, netbox, kea = lab.info("kube"), lab.info("netbox"), lab.info("kea")
    if kube:
        env["K8S_AUTH_KUBECONFIG"] = kube["kubeconfig"]
    if netbox:
        env["NETBOX_API"] = netbox["url"]
        env["NETBOX_TOKEN"] = netbox["token"]
    for name, ref in sorted(lab.info("nodes").get("images", {}).items()):
        # What the lab's inventory gives the roles as image references (built here, loaded
        # into every node's containerd; content-addressed tags, so IfNotPresent is right).
        env[f"EXPOSURE_LAB_IMAGE_{name.upper().replace('-', '_')}"] = ref
    if kea:
        env["KEA_API_URL"] = kea["url"]
        env["KEA_API_USER"] = kea["user"]
        env["KEA_API_PASSWORD"] = kea["password"]
    return env
