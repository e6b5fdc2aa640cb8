"""`exposure-lab up|down|status|restart`: the lab from a shell or a Makefile."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any

from . import lifecycle, services
from .config import LabConfig
from .core import LabError


def _print_status(report: dict[str, Any]) -> None:
    print(f"lab run dir: {report['run_dir']}")
    memory = report.get("memory_rss_mib", {})
    print(f"memory (RSS of every lab process and its children): {memory.get('total', 0)} MiB")
    for name, info in report["services"].items():
        state = "up" if info.get("up") else "DOWN"
        print(f"\n== {name}: {state}")
        for node, about in (info.get("nodes", {}) if name == "nodes" else {}).items():
            loaded = ", ".join(ref.rsplit("/", 1)[-1] for ref in about.get("images", []))
            print(f"   {node}: kubelet pid {about.get('kubelet')}, containerd pid "
                  f"{about.get('containerd')}, images loaded: {loaded or 'none'}")
        for key, value in info.items():
            if key == "up" or (name == "nodes" and key == "nodes"):
                continue
            if isinstance(value, dict):
                value = json.dumps(value, sort_keys=True)
            print(f"   {key}: {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exposure-lab", description=__doc__)
    parser.add_argument("--nodes", type=int, default=None,
                        help="number of node namespaces (default 3, or what is up)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="bring the lab up (idempotent)")
    p_up.add_argument("--only", nargs="+", choices=services.ALL,
                      help="only these services (the topology always comes up)")
    p_up.add_argument("--kwok", action="store_true",
                      help="KWOK paper nodes instead of real kubelets (for large --nodes)")
    sub.add_parser("down", help="stop everything the lab started and remove it")
    p_status = sub.add_parser("status", help="what runs where")
    p_status.add_argument("--json", action="store_true")
    sub.add_parser("env", help="print the lab's connection settings as shell exports")
    sub.add_parser("demo", help="site.yml on the lab, the ingress VIP, a curl through it, a "
                                "second run at changed=0 (needs `up` first)")
    p_restart = sub.add_parser("restart", help="restart one service (e.g. dnsmasq)")
    p_restart.add_argument("service", choices=services.ALL)
    args = parser.parse_args(argv)

    config = _current_config()
    if args.nodes or getattr(args, "kwok", False):
        config = LabConfig(nodes=args.nodes or 3, kwok=getattr(args, "kwok", False))
    try:
        if args.command == "up":
            lifecycle.up(config, args.only)
            _print_status(lifecycle.status(config))
        elif args.command == "down":
            leftovers = lifecycle.down(config)
            if leftovers:
                print("left behind:\n  " + "\n  ".join(leftovers), file=sys.stderr)
                return 1
            print("lab is down; nothing left behind")
        elif args.command == "status":
            report = lifecycle.status(config)
            if args.json:
                print(json.dumps(report, indent=2, sort_keys=True))
            else:
                _print_status(report)
            return 0 if report["up"] else 3
        elif args.command == "env":
            for key, value in sorted(lifecycle.environment(config).items()):
                print(f"export {key}={shlex.quote(value)}")
        elif args.command == "demo":
            from .demo import run as run_demo

            return run_demo(config)
        elif args.command == "restart":
            lifecycle.restart(config, args.service)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _current_config() -> LabConfig:
    """The configuration of the lab that is up, so `status`/`down` need no flags."""
    from .state import LabState

    default = LabConfig()
    state = LabState.load(default.state_file)
    kwok = bool(state.services.get("topology", {}).get("kwok", False))
    return LabConfig(nodes=state.nodes, kwok=kwok) if state.nodes else default


if __name__ == "__main__":
    sys.exit(main())
