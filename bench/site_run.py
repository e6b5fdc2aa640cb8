"""The cost of a site run on the lab: first converge, no-op rerun, one-pool change (issue 12).

For each node count asked (`--nodes 3` by default, e.g. `--nodes 3,6,12` when the lab allows):

1. a fresh lab with that many nodes (`exposure-lab down`, then `up`);
2. `playbooks/site.yml` against the lab site: the first converge, from Services `<pending>` to
   the ingress reached through its VIP;
3. the same run again: the no-op rerun, which must report changed=0;
4. the same inventory with one pool changed (the BGP pool `routed` gets 203.0.113.80/28 more:
   NetBox, the router's prefix filters and the cluster's IPAddressPool change), then that run
   again (a no-op of the changed site, which must report changed=0 too).

Each run uses the JSON callback, so every task's duration is known; the tables give the wall
time per run, the no-op/first ratio (goal: under 25 %), the time per stage (play), and the
no-op rerun's most expensive tasks: where a no-op still spends its time.

Usage (root, the lab must not be in use by anyone else):
    .venv/bin/python bench/site_run.py [--nodes 3[,6,...]] [--top 15] [--keep-up]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from exposure_lab import lifecycle
from exposure_lab.config import LAN_V4, LabConfig

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "playbooks" / "site.yml"
LAB_INVENTORY = REPO / "lab" / "inventory"
COLLECTION_LINK = REPO / ".collections" / "ansible_collections" / "baremetal" / "exposure"
CHANGED_POOL, ADDED_RANGE = "routed", "203.0.113.80/28"


@dataclass
class Run:
    label: str
    wall: float
    rc: int
    changed: int
    plays: list[tuple[str, float]] = field(default_factory=list)
    tasks: list[tuple[str, str, float, int]] = field(default_factory=list)  # play, task, s, changed hosts


def _seconds(duration: dict[str, str]) -> float:
    def parse(text: str) -> datetime.datetime:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parse(duration["end"]) - parse(duration["start"])).total_seconds()


def lab_inventory(root: Path, nodes: int, change: bool) -> Path:
    """A copy of the lab inventory with `nodes` nodes, and the one-pool change if asked."""
    inventory = root / ("changed" if change else "plain")
    shutil.rmtree(inventory, ignore_errors=True)
    shutil.copytree(LAB_INVENTORY, inventory, symlinks=True)
    hosts_file = inventory / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text())
    group = hosts["all"]["children"]["site_lab"]["children"]["site_lab_nodes"]["hosts"]
    for n in range(1, nodes + 1):
        group[f"node{n}"] = {"ansible_host": str(LAN_V4.network_address + 10 + n),
                             "exposure_lab_netns": f"xl-node{n}"}
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    if change:
        site_file = inventory / "group_vars" / "site_lab.yml"
        site = yaml.safe_load(site_file.read_text())
        pool = next(p for p in site["exposure_pools"] if p["name"] == CHANGED_POOL)
        pool["addresses"] = list(pool["addresses"]) + [ADDED_RANGE]
        site_file.write_text(yaml.safe_dump(site, sort_keys=False))
    return inventory


def run_site(label: str, inventory: Path, env: dict[str, str]) -> Run:
    argv = [str(Path(sys.executable).with_name("ansible-playbook")), str(SITE),
            "--inventory", str(inventory)]
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=3600,
                          check=False)
    wall = time.monotonic() - started
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit(f"{label}: ansible-playbook printed no JSON (rc={proc.returncode}):\n"
                 f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    run = Run(label, wall, proc.returncode,
              sum(h.get("changed", 0) for h in data.get("stats", {}).values()))
    for play in data.get("plays", []):
        name = play["play"]["name"]
        run.plays.append((name, _seconds(play["play"]["duration"])))
        for task in play.get("tasks", []):
            changed = sum(1 for r in task["hosts"].values() if r.get("changed"))
            run.tasks.append((name, task["task"]["name"], _seconds(task["task"]["duration"]), changed))
    if proc.returncode != 0:
        failures = [str(r.get("msg")) for p in data.get("plays", []) for t in p.get("tasks", [])
                    for r in t["hosts"].values() if r.get("failed")]
        sys.exit(f"{label}: site.yml failed (rc={proc.returncode}):\n" + "\n".join(failures[-5:]))
    return run


def measure(nodes: int, root: Path) -> list[Run]:
    config = LabConfig(nodes=nodes)
    print(f"== {nodes} nodes: fresh lab", flush=True)
    leftovers = lifecycle.down(config)
    if leftovers:
        sys.exit(f"the previous lab left {leftovers}")
    lifecycle.up(config)
    env = {**os.environ, **lifecycle.environment(config),
           "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"),
           "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_NOCOLOR": "1"}
    plain = lab_inventory(root, nodes, change=False)
    changed = lab_inventory(root, nodes, change=True)
    runs = []
    for label, inventory in (("first converge", plain), ("no-op rerun", plain),
                             ("one-pool change", changed), ("no-op after the change", changed)):
        print(f"   {label} ...", end=" ", flush=True)
        runs.append(run_site(label, inventory, env))
        print(f"{runs[-1].wall:.1f} s, changed={runs[-1].changed}", flush=True)
    return runs


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def report(results: dict[int, list[Run]], top: int) -> None:
    rows = [["nodes", "first converge", "no-op rerun", "no-op / first", "one-pool change",
             "no-op after it", "changed (first / no-op / change / no-op)"]]
    for nodes, (first, noop, change, noop2) in sorted(results.items()):
        rows.append([str(nodes), f"{first.wall:.1f} s", f"{noop.wall:.1f} s",
                     f"{100 * noop.wall / first.wall:.0f} %", f"{change.wall:.1f} s",
                     f"{noop2.wall:.1f} s",
                     f"{first.changed} / {noop.changed} / {change.changed} / {noop2.changed}"])
    print("\n" + table(rows))
    nodes = max(results)
    first, noop, change, _ = results[nodes]
    stages: dict[str, list[float]] = {}
    for i, run in enumerate((first, noop, change)):
        for name, seconds in run.plays:
            stages.setdefault(name, [0.0, 0.0, 0.0])[i] += seconds
    rows = [["stage (play)", "first", "no-op", "change"]]
    rows += [[name, *(f"{s:.1f} s" for s in values)] for name, values in stages.items()]
    print(f"\nPer stage at {nodes} nodes:\n" + table(rows))
    rows = [["no-op task", "stage", "seconds"]]
    for play, task, seconds, _ in sorted(noop.tasks, key=lambda t: -t[2])[:top]:
        rows.append([task, play, f"{seconds:.2f}"])
    print(f"\nThe no-op rerun's {top} most expensive tasks at {nodes} nodes:\n" + table(rows))
    flapping = [f"{play}: {task}" for play, task, _, changed in noop.tasks if changed]
    if flapping:
        print("\nNOT IDEMPOTENT, changed in the no-op rerun:\n  " + "\n  ".join(flapping))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", default="3", help="comma-separated node counts (default 3)")
    parser.add_argument("--top", type=int, default=15, help="tasks listed for the no-op rerun")
    parser.add_argument("--keep-up", action="store_true", help="leave the last lab up")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the lab needs it")
    if not COLLECTION_LINK.exists():
        COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        COLLECTION_LINK.symlink_to(REPO)
    counts = [int(n) for n in args.nodes.split(",")]
    results: dict[int, list[Run]] = {}
    root = Path(tempfile.mkdtemp(prefix="bench-site-run-"))
    try:
        for nodes in counts:
            results[nodes] = measure(nodes, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if not args.keep_up:
            lifecycle.down(LabConfig(nodes=counts[-1]))
    report(results, args.top)
    noop_ratio = {n: r[1].wall / r[0].wall for n, r in results.items()}
    bad = [n for n, ratio in noop_ratio.items() if ratio >= 0.25]
    if bad:
        print(f"\ngoal missed: the no-op rerun is 25 % or more of the first converge at {bad} nodes")
    if any(r[1].changed or r[3].changed for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
