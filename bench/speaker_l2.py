"""Layer-2 failover bench: our `baremetal-lb speaker` vs MetalLB's speaker, same lab, same trials.

    .venv/bin/python bench/speaker_l2.py [--trials 20] [--modes kill,link]
        [--implementations metallb,ours] [--skip-build] [--rss-ips 1000] [--json FILE]

For each implementation: speakers in xl-node1..3, one Service whose status holds the VIP
198.51.100.36 (pool 198.51.100.36-39: no test or pool uses it), ready endpoints on all three
nodes, a UDP responder in every node namespace (the VIP on lo, kernel ARP for it
silenced: only the speaker says where it lives), a prober in xl-client every --interval s.
Per trial: find the owner (whoever answers), then
  kill: SIGKILL the owner's speaker and remove the VIP from its lo (the node is gone for
        this Service; its NIC stays up, so only the speaker's death tells the others);
  link: `ip link set eth0 down` in the owner's namespace (speaker keeps running, cut off).
The figure is the gap between the owner's last answer and the new owner's first. Then the fault
is undone, the speaker restarted, and the next trial waits until the original owner answers
steadily again. For ours also: RSS of one speaker announcing --rss-ips IPs (198.18.0.0/22 on a
veth pair inside xl-node1, so nothing reaches the LAN) and its API requests per minute.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _crds  # noqa: E402
import _peers  # noqa: E402
from _kube import Kube  # noqa: E402
from _speaker_impls import MetalLBSpeakers, OurSpeakers, Speakers  # noqa: E402
from _speaker_net import CLIENT_NS, LAN_IFACE, NODES, NsProcess, VipSinks, link, netns  # noqa: E402
from _speaker_objects import LB_CLASS, create_l2_service, create_pool, delete_namespace, wait_no_other_swap  # noqa: E402
from _speaker_rss import rss_and_api_rate, vm_rss  # noqa: E402
from _speaker_trials import ECHO, Probe, Trial, arp_answerers, measure, percentile, settled  # noqa: E402

KUBECONFIG = "/run/exposure-lab/kube/admin.kubeconfig"
# Not 198.51.100.240-247: tests/integration/speaker and loadbalancer put those on the node
# namespaces' lo while they run, and this bench must not share an address with them.
VIP = "198.51.100.36"
POOL_RANGE = "198.51.100.36-198.51.100.39"
PORT = 7999


def run_trials(speakers: Speakers, probe: Probe, sinks: VipSinks, modes: list[str],
               trials: int, timeout: float, settle: float,
               doubles: list[str]) -> list[Trial]:
    home = settled(probe, VIP, 120.0)
    if home is None:
        raise RuntimeError(f"{speakers.name}: no node answered steadily for {VIP} within 120 s; "
                           f"see {speakers.workdir}")
    print(f"[{speakers.name}] {VIP} answered by {home}", flush=True)
    out: list[Trial] = []
    for mode in modes:
        for i in range(trials):
            owner = None
            for _ in range(5):
                owner = settled(probe, VIP, 30.0, want=home) or settled(probe, VIP, 60.0)
                if owner is None:
                    raise RuntimeError(f"{speakers.name}: VIP never settled before {mode} "
                                       f"trial {i + 1} ({probe.summary(10)}, ARP answered by "
                                       f"{arp_answerers(VIP)}); see {speakers.workdir}")
                # Once more right before the fault: a second announcer now would take over
                # without any failover and make the gap look tiny.
                pre = arp_answerers(VIP, 0.2)
                time.sleep(0.5)
                recent = {n for _, n in probe.since(time.monotonic() - 0.4)}
                if set(pre) == {owner} and recent == {owner}:
                    break
                doubles.append(f"{mode} #{i + 1}: ARP answered by {pre}, probes by {recent} "
                               "just before the fault")
                print(f"[{speakers.name}] {doubles[-1]}; settling again", flush=True)
            assert owner is not None
            ns = NODES[owner]
            for node_ns in NODES.values():
                sinks.strict(node_ns)  # cheap insurance: someone may have reset them meanwhile
            fault, wall = time.monotonic(), time.time()
            if mode == "kill":
                speakers.crash(owner)
                sinks.remove(ns)
            else:
                link(ns, up=False)
            try:
                new_owner, gap, detect, stray = measure(probe, owner, fault, timeout)
            finally:
                if mode == "kill":
                    sinks.add(ns)
                    speakers.start(owner)
                else:
                    link(ns, up=True)
            back = settled(probe, VIP, settle, want=owner) is not None
            note = ""
            if not back:
                # Not part of the figure, but the next trial needs the original layout: a
                # speaker that did not recover by itself is restarted, and that is reported.
                note = f", did NOT settle back on {owner} in {settle:.0f}s ({probe.summary(10)}" \
                    f", ARP answered by {arp_answerers(VIP)}); restarted its speaker"
                speakers.crash(owner)
                speakers.start(owner)
            out.append(Trial(mode, owner, new_owner, gap, detect, back, wall, stray))
            if stray:
                note += f", {stray} stray answer(s) from other nodes before the takeover"
            print(f"[{speakers.name}] {mode} #{i + 1}: {owner} -> {new_owner} gap "
                  f"{gap * 1000:.0f} ms (fault -> answer {detect * 1000:.0f} ms){note}",
                  flush=True)
    return out


def run_impl(kube: Kube, speakers: Speakers, args: argparse.Namespace) -> dict[str, Any]:
    ns = speakers.namespace
    kube.request("POST", "/api/v1/namespaces",
                 {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    sinks = VipSinks(VIP)
    responders: list[NsProcess] = []
    probe: Probe | None = None
    result: dict[str, Any] = {"impl": speakers.name}
    try:
        create_pool(kube, ns, "l2", [POOL_RANGE])
        create_l2_service(kube, ns, "vip", VIP, PORT)
        sinks.install()
        for node, node_ns in NODES.items():
            responders.append(NsProcess(node_ns, [sys.executable, str(ECHO), "respond", node, VIP,
                                                str(PORT)],
                                        speakers.workdir / f"responder-{node}.log"))
        speakers.prepare(kube)
        speakers.start_all()
        # whatever the client cached for the VIP in an earlier run must not pick the owner
        netns(CLIENT_NS, "ip", "neigh", "flush", "to", VIP, "dev", LAN_IFACE, check=False)
        probe = Probe(VIP, PORT, args.interval, speakers.workdir / "probe.log")
        doubles: list[str] = []
        result["double_announcers"] = doubles
        trials = run_trials(speakers, probe, sinks, args.modes, args.trials, args.timeout,
                            args.settle, doubles)
        result["trials"] = [asdict(t) for t in trials]
        result["speaker_rss_bytes"] = {node: vm_rss(proc.pid)
                                       for node, proc in speakers.procs.items() if proc.alive()}
    finally:
        if probe is not None:
            probe.stop()
        speakers.stop_all()
        for proc in responders:
            proc.stop()
        for node_ns in NODES.values():
            link(node_ns, up=True)
        sinks.restore()
        delete_namespace(kube, ns)
    return result


def summary(results: list[dict[str, Any]], modes: list[str]) -> list[str]:
    lines = [f"{'impl':8} {'mode':5} {'n':>3} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
             f"{'min ms':>8}"]
    stats: dict[tuple[str, str], tuple[float, float]] = {}
    for res in results:
        for mode in modes:
            gaps = [t["gap"] for t in res.get("trials", []) if t["mode"] == mode]
            if not gaps:
                continue
            p50, p99 = percentile(gaps, 50), percentile(gaps, 99)
            stats[(res["impl"], mode)] = (p50, p99)
            lines.append(f"{res['impl']:8} {mode:5} {len(gaps):3} {p50 * 1000:8.0f} "
                         f"{p99 * 1000:8.0f} {max(gaps) * 1000:8.0f} {min(gaps) * 1000:8.0f}")
    for mode in modes:
        if ("ours", mode) in stats and ("metallb", mode) in stats:
            o, m = stats[("ours", mode)], stats[("metallb", mode)]
            lines.append(f"ratio ours/metallb {mode}: p50 {o[0] / m[0]:.3f}, "
                         f"p99 {o[1] / m[1]:.3f}")
    return lines


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through every cleanup `finally`


def main(argv: list[str] | None = None) -> int:
    # started with `&` from a script, SIGINT arrives ignored: take both back
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--modes", type=lambda s: s.split(","), default=["kill", "link"])
    parser.add_argument("--implementations", type=lambda s: s.split(","),
                        default=["metallb", "ours"])
    parser.add_argument("--interval", type=float, default=0.01, help="probe period (s)")
    parser.add_argument("--timeout", type=float, default=90.0, help="per-trial failover limit")
    parser.add_argument("--settle", type=float, default=60.0,
                        help="how long the VIP may take to return to its owner after a trial")
    parser.add_argument("--rss-ips", type=int, default=1000, help="0: skip the RSS/API phase")
    parser.add_argument("--api-seconds", type=float, default=120.0)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--json", help="write the raw figures here")
    args = parser.parse_args(argv)
    workdir = Path(f"/tmp/bench-speaker-{secrets.token_hex(3)}")
    workdir.mkdir()
    print(f"logs in {workdir}", flush=True)
    kube = Kube(KUBECONFIG)
    results: list[dict[str, Any]] = []
    for name in args.implementations:
        ns = f"bench-l2-{secrets.token_hex(3)}"
        if name == "metallb":
            binary = _peers.metallb_speaker() if args.skip_build else \
                _peers.build_metallb_speaker()
            wait_no_other_swap()
            swap = _crds.CrdSwap(kube)
            try:
                swap.install(_crds.metallb(_peers.metallb_source()))
                results.append(run_impl(kube, MetalLBSpeakers(
                    binary, KUBECONFIG, ns, LB_CLASS, workdir), args))
            finally:
                for line in swap.restore_ours():
                    print(f"CRD {line}", flush=True)
        else:
            wait_no_other_swap()
            _crds.ensure_ours(kube)
            res = run_impl(kube, OurSpeakers(KUBECONFIG, ns, LB_CLASS, workdir), args)
            if args.rss_ips:
                try:
                    res["rss"] = rss_and_api_rate(kube, KUBECONFIG, workdir, args.rss_ips,
                                                  args.api_seconds)
                except Exception as exc:  # the failover figures above still stand
                    res["rss"] = {"error": repr(exc)}
            results.append(res)
        for line in summary(results, args.modes):
            print(line, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    print("\n".join(["", *summary(results, args.modes)]))
    for res in results:
        if "rss" in res:
            print(json.dumps(res["rss"]))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    kube.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
