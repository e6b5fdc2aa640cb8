"""runtime/deploy/baremetal-lb.yaml starts the entry point with flags it accepts."""

from __future__ import annotations

from pathlib import Path

import yaml

from baremetal_lb.cli import _parser

DEPLOY = Path(__file__).parents[2] / "deploy" / "baremetal-lb.yaml"


def test_every_container_runs_a_valid_command_line() -> None:
    docs = [d for d in yaml.safe_load_all(DEPLOY.read_text()) if d]
    workloads = [d for d in docs if d["kind"] in ("Deployment", "DaemonSet")]
    assert {w["metadata"]["name"] for w in workloads} == {"baremetal-lb-controller",
                                                          "baremetal-lb-speaker"}
    for workload in workloads:
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        args = _parser().parse_args(container["args"])
        assert args.func.__name__ == f"_{container['name']}"
        port = container["ports"][0]["containerPort"]
        assert args.metrics_address.endswith(f":{port}")
        assert args.namespace == workload["metadata"]["namespace"]


def test_the_speaker_runs_on_the_host_network_with_raw_sockets() -> None:
    docs = {d["kind"]: d for d in yaml.safe_load_all(DEPLOY.read_text()) if d}
    pod = docs["DaemonSet"]["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    assert "NET_RAW" in pod["containers"][0]["securityContext"]["capabilities"]["add"]
