"""`exposure-lab demo`: what a newcomer wants to see, on the lab that `lab up` brought up.

1. the demo application (two HTTP backends and an Ingress rule) goes into the cluster;
2. playbooks/site.yml runs against the lab's inventory (only changed and failed tasks shown);
3. the address-plan report it wrote;
4. the ingress Service with its VIP and the node that announces it;
5. a curl from the client namespace through the VIP, and its answer;
6. site.yml again: nothing to change (changed=0), or the demo fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

from .config import LabConfig
from .core import Lab, LabError
from .lifecycle import environment

ROOT = Path(__file__).resolve().parents[2]
DEMO_HOST = "demo.lab.example"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def _say(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def _ansible_env(lab: Lab) -> dict[str, str]:
    return {**os.environ, **environment(lab.config),
            "ANSIBLE_CONFIG": str(ROOT / "lab" / "ansible.cfg"),
            # Short output: changed and failed tasks, and the recap.
            "ANSIBLE_DISPLAY_OK_HOSTS": "false", "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false",
            "ANSIBLE_NOCOLOR": "1"}


def _playbook(lab: Lab, playbook: str, *extra: str, show: bool = True) -> list[tuple[str, int]]:
    """Run a playbook; print its (short) output; return (host, changed) from its recap."""
    argv = [str(Path(sys.executable).with_name("ansible-playbook")), playbook, *extra]
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=_ansible_env(lab), capture_output=True, text=True,
                          check=False)
    lines = proc.stdout.splitlines()
    if show or proc.returncode != 0:
        for line in lines:
            if line.strip() and not line.startswith("PLAY ["):
                print(f"  {line}")
    recap = [(m.group(1), int(m.group(3))) for m in map(RECAP.match, lines) if m]
    print(f"  ({playbook}: {time.monotonic() - started:.0f} s)")
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        raise LabError(f"{playbook} failed (exit {proc.returncode})")
    return recap


def _ingress(lab: Lab) -> dict[str, Any]:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=lab.info("kube")["kubeconfig"])
    try:
        core = client.CoreV1Api(api)
        services = [s for s in core.list_service_for_all_namespaces().items
                    if s.spec and s.spec.type == "LoadBalancer"]
        custom = client.CustomObjectsApi(api)
        # A custom object list comes back as the decoded JSON, typed `object` by the client.
        statuses = cast(dict[str, Any], custom.list_cluster_custom_object(
            "metallb.io", "v1beta1", "servicel2statuses"))["items"]
    finally:
        api.close()
    announced = {(s["status"].get("serviceNamespace"), s["status"].get("serviceName")):
                 s["status"].get("node") for s in statuses if s.get("status")}
    rows = []
    for svc in services:
        meta, spec, status = svc.metadata, svc.spec, svc.status
        # The apiserver fills these in for every Service; the client types them optional.
        assert meta and spec and status
        ips = [i.ip for i in (status.load_balancer.ingress or [])] if status.load_balancer else []
        node = announced.get((meta.namespace, meta.name), "-")
        rows.append({"name": f"{meta.namespace}/{meta.name}", "ips": ips,
                     "ports": [p.port for p in spec.ports or []], "node": node})
    return {"services": rows}


def run(config: LabConfig) -> int:
    lab = Lab(config)
    if not lab.info("nodes") or not lab.info("kube"):
        raise LabError("the lab is not up: `make lab-up` (or `exposure-lab up`) first")
    reports = config.run_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)

    _say("1/6 The demo application: two HTTP backends and an Ingress rule for "
         f"{DEMO_HOST} (lab/playbooks/demo-app.yml)")
    _playbook(lab, "lab/playbooks/demo-app.yml", show=False)

    _say("2/6 playbooks/site.yml against the lab's inventory (changed tasks only)")
    _playbook(lab, "playbooks/site.yml", "-e", f"address_plan_report_dir={reports}")

    _say("3/6 The address plan the preflight checked (its report)")
    for report in sorted(reports.glob("*.md")):
        print(report.read_text())

    _say("4/6 LoadBalancer Services, their VIPs and the node announcing each")
    rows = _ingress(lab)["services"]
    for row in rows:
        print(f"  {row['name']:<28} {', '.join(row['ips']) or '<pending>':<18} "
              f"ports {','.join(map(str, row['ports'])):<8} announced by {row['node']}")
    vip = next((r["ips"][0] for r in rows if r["ips"] and 80 in r["ports"]), None)
    if vip is None:
        raise LabError("no LoadBalancer Service with an IP on port 80: the ingress has no VIP")

    _say(f"5/6 From the client namespace: curl -H 'Host: {DEMO_HOST}' http://{vip}/")
    answer = lab.run(["curl", "-sS", "--max-time", "5", "-H", f"Host: {DEMO_HOST}",
                      f"http://{vip}/"], netns=config.client.netns, check=False)
    print("  " + (answer.stdout.strip() or answer.stderr.strip()).replace("\n", "\n  "))
    if "pod=" not in answer.stdout:
        raise LabError(f"the client got no answer from the demo application through {vip}")

    _say("6/6 playbooks/site.yml again: nothing may change")
    recap = _playbook(lab, "playbooks/site.yml")
    changed = sum(count for _, count in recap)
    if changed:
        raise LabError(f"the second run changed {changed} task(s): it must change nothing")
    print("  second run: changed=0 on every host")
    return 0
