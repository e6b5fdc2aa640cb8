"""Controller benchmark: our `baremetal-lb controller` vs MetalLB's, same burst, same lab.

    .venv/bin/python bench/controller.py [--services 1000] [--grow-to 5000]
        [--implementations ours,metallb] [--skip-build] [--steady-seconds 30]

For each implementation in turn: install its CRDs (ours and MetalLB's are both metallb.io, so
MetalLB's replace ours for its run only and ours are restored right after), create a pool
namespace with one IPAddressPool in 198.18.0.0/18 (RFC 2544 benchmarking range, never on the
wire), start the controller, wait for /readyz and for a canary Service's IP, then create
--services LoadBalancer Services in a fresh namespace in a concurrent burst and time each
create -> IP. Then 30 s of quiet to count Service writes (there should be none), then grow to
--grow-to. Services carry loadBalancerClass bench.baremetal.exposure/lb, so other controllers
on the shared lab ignore them. Everything created is removed, processes are stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _crds  # noqa: E402
import _peers  # noqa: E402
from _burst import ObjectWatch, apiserver_status_writes, create_burst, duplicates, service  # noqa: E402
from _impls import OURS_BIN, Impl, MetalLB, Ours, Process  # noqa: E402
from _kube import Kube  # noqa: E402

KUBECONFIG = "/run/exposure-lab/kube/admin.kubeconfig"
LB_CLASS = "bench.baremetal.exposure/lb"
POOL_CIDR = "198.18.0.0/18"  # 16,382 usable addresses: room for 5,000 without a second pool


@dataclass
class Figures:
    impl: str
    ready_s: float = 0.0
    first_ip_s: float = 0.0
    burst: dict[str, float] = field(default_factory=dict)
    rss_n: int = 0
    steady_writes: int = 0
    pool_writes_burst: int = 0
    steady_pool_writes: int = 0
    steady_api_writes: int = 0
    grow: dict[str, float] = field(default_factory=dict)
    rss_grown: int = 0
    duplicates: int = 0
    without_ip: int = 0
    disruptions: int = 0


def _namespace(kube: Kube, name: str) -> None:
    kube.request("POST", "/api/v1/namespaces",
                 {"apiVersion": "v1", "kind": "Namespace",
                  "metadata": {"name": name, "labels": {"bench": "controller"}}})


def _pool(kube: Kube, namespace: str) -> None:
    kube.request("POST", f"/apis/metallb.io/v1beta1/namespaces/{namespace}/ipaddresspools",
                 {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                  "metadata": {"name": "bench", "namespace": namespace},
                  "spec": {"addresses": [POOL_CIDR]}})


def _cleanup(kube: Kube, namespaces: list[str], workers: int = 8,
             timeout: float = 180.0) -> None:
    for ns in namespaces:
        # Parallel DELETEs: the namespace controller deletes one at a time under its client
        # rate limit, and one deletecollection of 5,000 Services outlives the apiserver's 60 s
        # request timeout.
        path = f"/api/v1/namespaces/{ns}/services"
        names = [svc["metadata"]["name"]
                 for svc in kube.request("GET", path, ok=(404,)).get("items", [])]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda n, path=path: kube.request("DELETE", f"{path}/{n}", ok=(404,)),
                          names))
        kube.request("DELETE", f"/api/v1/namespaces/{ns}", ok=(404,))
    deadline = time.monotonic() + timeout
    for ns in namespaces:
        while time.monotonic() < deadline:
            if kube.request("GET", f"/api/v1/namespaces/{ns}", ok=(404,)).get("kind") != "Namespace":
                break
            time.sleep(0.5)
        else:
            print(f"warning: namespace {ns} still terminating after {timeout:.0f}s",
                  file=sys.stderr)


def run_one(kube: Kube, impl: Impl, args: argparse.Namespace, ctl_ns: str,
            svc_ns: str) -> Figures:
    fig = Figures(impl.name)
    impl.prepare(kube, ctl_ns)
    proc = Process(impl)
    watches: list[ObjectWatch] = []
    try:
        fig.ready_s = proc.wait_ready()
        canary = ObjectWatch(kube, ctl_ns)
        watches.append(canary)
        kube.request("POST", f"/api/v1/namespaces/{ctl_ns}/services",
                     {**service("canary", LB_CLASS)})
        canary.wait_for_ips(["canary"], 120.0, proc.alive)
        fig.first_ip_s = canary.ip_at["canary"] - proc.started
        canary.stop()
        print(f"[{impl.name}] ready in {fig.ready_s:.2f}s, first IP after "
              f"{fig.first_ip_s:.2f}s", file=sys.stderr, flush=True)

        watch = ObjectWatch(kube, svc_ns)
        pools = ObjectWatch(kube, ctl_ns, "apis/metallb.io/v1beta1/ipaddresspools")
        watches += [watch, pools]
        t_burst = time.monotonic()
        n = args.services
        timeout = max(120.0, n * 0.3)
        burst = create_burst(kube, svc_ns, LB_CLASS, range(n), args.workers, watch, timeout,
                             proc.alive)
        fig.burst = asdict(burst)
        fig.pool_writes_burst = pools.writes_between(t_burst, time.monotonic())
        fig.rss_n = proc.rss_bytes()
        print(f"[{impl.name}] {n} Services: {burst.throughput:.1f}/s, p50 {burst.p50:.3f}s, "
              f"p99 {burst.p99:.3f}s, RSS {fig.rss_n / 2**20:.1f} MiB", file=sys.stderr,
              flush=True)

        time.sleep(2.0)  # let the burst's last writes land before the quiet window opens
        api_before = apiserver_status_writes(kube)
        t0 = time.monotonic()
        time.sleep(args.steady_seconds)
        fig.steady_writes = watch.writes_between(t0, t0 + args.steady_seconds)
        fig.steady_pool_writes = pools.writes_between(t0, t0 + args.steady_seconds)
        fig.steady_api_writes = apiserver_status_writes(kube) - api_before

        if args.grow_to > n:
            grown = create_burst(kube, svc_ns, LB_CLASS, range(n, args.grow_to), args.workers,
                                 watch, max(120.0, (args.grow_to - n) * 0.3), proc.alive)
            fig.grow = asdict(grown)
            fig.rss_grown = proc.rss_bytes()
            print(f"[{impl.name}] grown to {args.grow_to}: {grown.throughput:.1f}/s, RSS "
                  f"{fig.rss_grown / 2**20:.1f} MiB", file=sys.stderr, flush=True)
        fig.duplicates, fig.without_ip = duplicates(kube, svc_ns)
        return fig
    finally:
        proc.stop()  # first: nothing after this may leave a controller running
        for w in watches:
            w.stop_event.set()
        for w in watches:
            w.stop()
        # Only the Services' watch times anything; a CRD apply by anyone also ends the
        # IPAddressPool watch (the apiserver drops that resource's watchers), harmlessly.
        fig.disruptions = sum(w.disruptions for w in watches if w.path.endswith("/services"))
        for w in watches:
            if w.disruptions:
                print(f"[{impl.name}] watch {w.path} broke {w.disruptions}x, last: "
                      f"{w.last_error!r}", file=sys.stderr)


def bench(kube: Kube, name: str, args: argparse.Namespace, logdir: Path,
          swap: _crds.CrdSwap) -> Figures:
    suffix = secrets.token_hex(3)
    ctl_ns, svc_ns = f"bench-{suffix}", f"bench-{suffix}-svc"
    if name == "ours":
        impl: Impl = Ours.make(args.kubeconfig, ctl_ns, LB_CLASS, logdir)
        manifests = _crds.ours()
    else:
        binary = _peers.metallb_controller()
        if not binary.is_file():
            raise RuntimeError(f"{binary} missing: run without --skip-build")
        impl = MetalLB.make(binary, args.kubeconfig, ctl_ns, LB_CLASS, logdir)
        manifests = _crds.metallb(_peers.metallb_source())
    try:
        swap.install(manifests)
        for ns in (ctl_ns, svc_ns):
            _namespace(kube, ns)
        _pool(kube, ctl_ns)
        return run_one(kube, impl, args, ctl_ns, svc_ns)
    finally:
        if name != "ours":  # other engineers' tests need our CRDs back at once
            for line in swap.restore_ours():
                print(f"[crds] {line}", file=sys.stderr)
        try:
            _cleanup(kube, [svc_ns, ctl_ns], args.workers)
        except Exception as exc:  # keep the figures; say what is left behind
            print(f"warning: cleanup of {svc_ns} {ctl_ns} failed ({exc}); run "
                  "`bench/controller.py --cleanup`", file=sys.stderr)


def cleanup_leftovers(kubeconfig: str) -> int:
    kube = Kube(kubeconfig)
    try:
        nss = kube.request("GET", "/api/v1/namespaces",
                           params={"labelSelector": "bench=controller"})["items"]
        names = [ns["metadata"]["name"] for ns in nss]
        print(f"deleting namespaces: {' '.join(names) or '(none)'}", file=sys.stderr)
        _cleanup(kube, names)
        swap = _crds.CrdSwap(kube)
        swap.touched = set(_crds.METALLB_CRDS)  # existed stays empty: MetalLB-only ones go
        for line in swap.restore_ours():
            print(f"[crds] {line}", file=sys.stderr)
    finally:
        kube.close()
    return 0


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def table(figs: list[Figures], n: int, grown: int, steady: float) -> str:
    s_ = f"{steady:g}"
    rows: list[tuple[str, list[float], str]] = [
        (f"{n} Services: harness create rate (Services/s)", [f.burst["create_rate"]
                                                             for f in figs], ".1f"),
        ("start -> /readyz (s)", [f.ready_s for f in figs], ".2f"),
        ("start -> first IP (s)", [f.first_ip_s for f in figs], ".2f"),
        (f"{n} Services: throughput (Services/s)", [f.burst["throughput"] for f in figs], ".1f"),
        (f"{n} Services: create->IP p50 (s)", [f.burst["p50"] for f in figs], ".3f"),
        (f"{n} Services: create->IP p99 (s)", [f.burst["p99"] for f in figs], ".3f"),
        (f"{n} Services: Service writes per Service", [f.burst["writes_per_service"]
                                                       for f in figs], ".2f"),
        (f"{n} Services: IPAddressPool status writes", [f.pool_writes_burst for f in figs], "d"),
        (f"RSS at {n} Services (MiB)", [f.rss_n / 2**20 for f in figs], ".1f"),
        (f"steady {s_} s: Service writes (watch)", [f.steady_writes for f in figs], "d"),
        (f"steady {s_} s: IPAddressPool writes (watch)", [f.steady_pool_writes for f in figs],
         "d"),
        (f"steady {s_} s: services/status writes (apiserver, cluster-wide)",
         [f.steady_api_writes for f in figs], "d"),
    ]
    if all(f.grow for f in figs):
        rows += [
            (f"grow {n}->{grown}: throughput (Services/s)", [f.grow["throughput"] for f in figs],
             ".1f"),
            (f"grow {n}->{grown}: create->IP p99 (s)", [f.grow["p99"] for f in figs], ".3f"),
            (f"RSS at {grown} Services (MiB)", [f.rss_grown / 2**20 for f in figs], ".1f"),
        ]
    rows += [("duplicate IPs (must be 0)", [f.duplicates for f in figs], "d"),
             ("Services left without IP", [f.without_ip for f in figs], "d"),
             ("Service watch breaks (resumed; if the apiserver restarted, rerun)",
              [f.disruptions for f in figs], "d")]
    names = [f.impl for f in figs]
    ratio = len(figs) == 2 and names == ["ours", "metallb"]
    head = ["figure", *names] + (["ours/metallb"] if ratio else [])
    body = [[label, *(format(v, fmt) for v in vals)]
            + ([_ratio(vals[0], vals[1])] if ratio else []) for label, vals, fmt in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in [head, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--grow-to", type=int, default=5000)
    p.add_argument("--implementations", default="ours,metallb",
                   help="comma-separated, run in this order: ours, metallb")
    p.add_argument("--skip-build", action="store_true",
                   help="use the cached MetalLB controller as it is")
    p.add_argument("--steady-seconds", type=float, default=30.0)
    p.add_argument("--workers", type=int, default=8, help="concurrent creates in a burst")
    p.add_argument("--kubeconfig", default=KUBECONFIG)
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--cleanup", action="store_true",
                   help="only remove what an interrupted run left (bench namespaces, MetalLB's "
                        "CRDs) and restore ours")
    args = p.parse_args(argv)
    if args.cleanup:
        return cleanup_leftovers(args.kubeconfig)
    names = [n.strip() for n in args.implementations.split(",") if n.strip()]
    unknown = set(names) - {"ours", "metallb"}
    if unknown:
        p.error(f"--implementations: unknown {sorted(unknown)}; use ours and/or metallb")
    if "ours" in names and not OURS_BIN.exists():
        p.error(f"{OURS_BIN} missing: install the runtime package into .venv")
    if "metallb" in names and not args.skip_build:
        started = time.monotonic()
        _peers.build_metallb()
        print(f"MetalLB controller ready ({time.monotonic() - started:.0f}s)", file=sys.stderr)

    kube = Kube(args.kubeconfig)
    swap = _crds.CrdSwap(kube)
    logdir = Path(tempfile.mkdtemp(prefix="bench-controller-"))
    print(f"controller logs in {logdir}", file=sys.stderr)
    figs: list[Figures] = []
    try:
        for name in names:
            figs.append(bench(kube, name, args, logdir, swap))
    finally:
        if swap.touched:
            for line in swap.restore_ours():
                print(f"[crds] {line}", file=sys.stderr)
        kube.close()
    print(table(figs, args.services, args.grow_to, args.steady_seconds))
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in figs], indent=2) + "\n")
    return 0 if all(f.duplicates == 0 and f.without_ip == 0 for f in figs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
