"""Memory of our hand-written Kubernetes client (runtime kube/) vs the `kubernetes` package.

    .venv/bin/python bench/client_memory.py [--runs 5] [--services 1000]

The controller and the speaker talk to the apiserver through baremetal_lb.kube, a thin client
over urllib3, instead of the official `kubernetes` package; the reason given is memory. This
prints the evidence. Each figure is VmRSS (/proc/self/status) of a fresh Python process, the
median of --runs processes:

- "base": the modules the component needs whatever the client (yaml, prometheus_client, our
  allocator, configuration model and metrics; the speaker adds pyroute2, the ARP/NDP
  responder, the heartbeats and the FRR engine);
- "+ ours" / "+ kubernetes": base plus the client (baremetal_lb.kube, or `kubernetes`, whose
  package __init__ loads client, config, watch, leaderelection and the rest whatever
  submodule one imports);
- "+ N Services": the same, then a list of N LoadBalancer Services decoded the way each
  client hands it over and kept as an informer would: ours json.loads the answer and keeps the
  slim projection (config.projection.slim_service); `kubernetes` deserializes into V1Service
  models (what list_service_for_all_namespaces returns, and what its informer caches);
- "component": the real import set of `baremetal-lb controller` (baremetal_lb.cli) and of
  `baremetal-lb speaker` (cli, speaker, FRR engine), for scale.

Nothing here talks to an apiserver: no lab is needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

RUNTIME_SRC = Path(__file__).resolve().parent.parent / "runtime" / "src"
BASE = {
    "controller": ["yaml", "prometheus_client", "baremetal_lb.allocator", "baremetal_lb.config",
                   "baremetal_lb.metrics"],
    "speaker": ["yaml", "prometheus_client", "baremetal_lb.allocator", "baremetal_lb.config",
                "baremetal_lb.metrics", "baremetal_lb.net.links", "baremetal_lb.layer2.announcer",
                "baremetal_lb.liveness.service", "baremetal_lb.bgp.frr"],
}
CLIENTS = {"ours": ["baremetal_lb.kube"], "kubernetes": ["kubernetes"]}
COMPONENT = {"controller": ["baremetal_lb.cli"],
             "speaker": ["baremetal_lb.cli", "baremetal_lb.speaker", "baremetal_lb.bgp.frr"]}

# Run in the child: import, optionally decode N Services as the client would, print VmRSS.
CHILD = r'''
import gc, importlib, json, sys
modules, client, services = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3])
for name in filter(None, modules):
    importlib.import_module(name)
kept = None
if services:
    items = [{"metadata": {"name": f"svc-{i}", "namespace": "bench", "uid": f"{i:08x}-0000",
                           "resourceVersion": str(100000 + i),
                           "creationTimestamp": "2026-01-01T00:00:00Z",
                           "labels": {"app": f"web-{i}", "tier": "frontend"},
                           "annotations": {"metallb.io/address-pool": "lan"}},
              "spec": {"type": "LoadBalancer", "selector": {"app": f"web-{i}"},
                       "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                                  "targetPort": 8080, "nodePort": 30000 + i % 2000}],
                       "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                       "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                       "externalTrafficPolicy": "Cluster", "sessionAffinity": "None",
                       "internalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True},
              "status": {"loadBalancer": {"ingress": [
                  {"ip": f"198.18.{i // 256}.{i % 256}", "ipMode": "VIP"}]}}}
             for i in range(services)]
    data = json.dumps({"kind": "ServiceList", "apiVersion": "v1",
                       "metadata": {"resourceVersion": "1"}, "items": items}).encode()
    del items
    if client == "ours":
        from baremetal_lb.config.projection import slim_service
        kept = [slim_service(o, allocation=True) for o in json.loads(data)["items"]]
    else:
        from kubernetes.client import ApiClient
        try:        # kubernetes >= 35: (text, type, content type)
            decoded = ApiClient().deserialize(data.decode(), "V1ServiceList", "application/json")
        except TypeError:   # older: a response object with .data
            class Answer:
                def __init__(self, data): self.data = data
            decoded = ApiClient().deserialize(Answer(data), "V1ServiceList")
        kept = decoded.items
        del decoded
    del data
gc.collect()
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) * 1024)
'''


def rss(modules: list[str], client: str = "", services: int = 0, runs: int = 5) -> float:
    """Median VmRSS in MB of `runs` fresh processes importing `modules`."""
    env = dict(os.environ, PYTHONPATH=str(RUNTIME_SRC), PYTHONHASHSEED="0")
    found = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CHILD, ",".join(modules), client,
                              str(services)], env=env, check=True, capture_output=True,
                             text=True).stdout
        found.append(int(out.strip()) / 1e6)
    return statistics.median(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="processes per figure (median)")
    parser.add_argument("--services", type=int, default=1000)
    args = parser.parse_args(argv)
    import kubernetes  # noqa: F401  (fail early, with a clear message, without the package)
    versions = subprocess.run(
        [sys.executable, "-c", "import sys, kubernetes, urllib3; print(sys.version.split()[0],"
         " kubernetes.__version__, urllib3.__version__)"],
        check=True, capture_output=True, text=True).stdout.split()
    print(f"Python {versions[0]}, kubernetes {versions[1]}, urllib3 {versions[2]}; "
          f"VmRSS in MB, median of {args.runs} processes\n")
    print(f"| component | base | + ours | + kubernetes | + ours, {args.services} Services "
          f"| + kubernetes, {args.services} Services | component (ours) |")
    print("|---|---|---|---|---|---|---|")
    for name, base in BASE.items():
        row = [rss(base, runs=args.runs)]
        row += [rss(base + CLIENTS[c], c, runs=args.runs) for c in ("ours", "kubernetes")]
        row += [rss(base + CLIENTS[c], c, args.services, args.runs)
                for c in ("ours", "kubernetes")]
        row.append(rss(COMPONENT[name], runs=args.runs))
        print(f"| {name} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
