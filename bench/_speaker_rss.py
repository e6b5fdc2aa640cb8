"""Our speaker's memory with many announced IPs and its API requests per minute when idle.

One speaker in xl-node1 announces --rss-ips addresses of 198.18.0.0/22 (RFC 2544 benchmarking
range). Our speaker announces an IP only on a link whose subnet holds it, so the range sits on
one end of a veth pair that never leaves xl-node1 (blbench-sink, 198.18.0.1/22; the lab's
kernel has no dummy links) and the speaker is given only that interface: its probes and
gratuitous ARPs reach only the pair's other end, nothing reaches the lab LAN. The figures are VmRSS
of the speaker process once /readyz reports every IP announced (and again once its start-up
writes are done), and the growth of baremetal_lb_api_requests_total over --api-seconds of
steady state, which starts after 15 s without any request.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

import urllib3
from _kube import Kube
from _speaker_impls import OURS_BIN, OURS_HEARTBEAT_PORT, OURS_METRICS_PORT
from _speaker_net import NODE_IPS, NODES, NsProcess, netns
from _speaker_objects import LB_CLASS, create_many, create_pool, delete_namespace

SINK_IFACE = "blbench-sink"
SINK_NET = "198.18.0.1/22"
NODE = "node1"
COUNTER = re.compile(r'^baremetal_lb_api_requests_total\{([^}]*)\} ([0-9.e+]+)$', re.M)


def vm_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def api_requests(http: urllib3.PoolManager, url: str) -> dict[str, float]:
    text = http.request("GET", url, timeout=5.0).data.decode()
    return {labels: float(value) for labels, value in COUNTER.findall(text)}


def announced(http: urllib3.PoolManager, url: str) -> int:
    resp = http.request("GET", url, timeout=5.0)
    if resp.status != 200:
        return 0
    try:
        body = json.loads(resp.data)
    except ValueError:
        return 0
    return sum(len(ips) for ips in body.values()) if isinstance(body, dict) else 0


def rss_and_api_rate(kube: Kube, kubeconfig: str, workdir: Path, count: int,
                     api_seconds: float) -> dict[str, Any]:
    ns = f"bench-l2rss-{secrets.token_hex(3)}"
    node_ns = NODES[NODE]
    base = f"http://{NODE_IPS[NODE]}:{OURS_METRICS_PORT}"
    http = urllib3.PoolManager(retries=False)
    kube.request("POST", "/api/v1/namespaces",
                 {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    proc: NsProcess | None = None
    out: dict[str, Any] = {"ips": count}
    try:
        netns(node_ns, "ip", "link", "add", SINK_IFACE, "type", "veth", "peer", "name",
              SINK_IFACE + "p")
        netns(node_ns, "ip", "addr", "add", SINK_NET, "dev", SINK_IFACE)
        netns(node_ns, "ip", "link", "set", SINK_IFACE + "p", "up")
        netns(node_ns, "ip", "link", "set", SINK_IFACE, "up")
        create_pool(kube, ns, "sink", ["198.18.0.0/22"],
                    {"interfaces": [SINK_IFACE],
                     "nodeSelectors": [{"matchLabels": {"kubernetes.io/hostname": NODE}}]})
        ips = [f"198.18.{(i + 2) // 256}.{(i + 2) % 256}" for i in range(count)]
        started = time.monotonic()
        create_many(kube, ns, ips, 7999, {NODE: NODE_IPS[NODE]})
        out["create_s"] = time.monotonic() - started
        key = workdir / "rss-heartbeat.key"
        key.write_text(secrets.token_hex(32))
        proc = NsProcess(node_ns, [str(OURS_BIN), "speaker", "--kubeconfig", kubeconfig,
                                   "--node", NODE, "--namespace", ns, "--interface", SINK_IFACE,
                                   "--heartbeat-key-file", str(key),
                                   "--heartbeat-port", str(OURS_HEARTBEAT_PORT),
                                   "--load-balancer-class", LB_CLASS, "--no-claim-unclassed",
                                   "--metrics-address", f"0.0.0.0:{OURS_METRICS_PORT}"],
                         workdir / "ours-rss.log")
        started = time.monotonic()
        deadline = started + 600
        seen = 0
        while time.monotonic() < deadline and proc.alive():
            try:
                seen = announced(http, f"{base}/readyz")
            except urllib3.exceptions.HTTPError:
                seen = 0
            if seen >= count:
                break
            time.sleep(0.5)
        out["announced"] = seen
        out["all_announced_s"] = time.monotonic() - started
        out["rss_bytes"] = vm_rss(proc.pid)
        # Steady state starts once the start-up writes (one ServiceL2Status per Service,
        # paced by the speaker) are done: no request for 15 s.
        quiet_since, last = time.monotonic(), sum(api_requests(http, f"{base}/metrics").values())
        while time.monotonic() - started < 900 and time.monotonic() - quiet_since < 15:
            time.sleep(1.0)
            total = sum(api_requests(http, f"{base}/metrics").values())
            if total != last:
                quiet_since, last = time.monotonic(), total
        out["startup_writes_done_s"] = quiet_since - started
        out["api_total_at_quiet"] = last
        out["rss_bytes_at_quiet"] = vm_rss(proc.pid)
        before, t0 = api_requests(http, f"{base}/metrics"), time.monotonic()
        time.sleep(api_seconds)
        after, t1 = api_requests(http, f"{base}/metrics"), time.monotonic()
        out["rss_bytes_after"] = vm_rss(proc.pid)
        delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
        out["api_per_minute"] = sum(delta.values()) * 60.0 / (t1 - t0)
        out["api_delta_by_labels"] = {k: v for k, v in delta.items() if v}
        out["api_total_at_end"] = sum(after.values())
        out["api_seconds"] = t1 - t0
    finally:
        if proc is not None:
            proc.stop()
        netns(node_ns, "ip", "link", "del", SINK_IFACE, check=False)
        delete_namespace(kube, ns)
    return out
