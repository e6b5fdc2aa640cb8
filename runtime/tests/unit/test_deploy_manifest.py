"""runtime/deploy/*.yaml: the entry point started with flags it accepts, probes on the health
endpoint, metrics never plain beyond localhost, Secrets only by name, capabilities no more
than the mode uses, and a BGP speaker that shares FRR's socket directory with FRR."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.cli import _parser

DEPLOY = Path(__file__).parents[2] / "deploy"
MANIFESTS = ("baremetal-lb.yaml", "speaker-bgp.yaml")
SPEAKER_CAPABILITIES = {"baremetal-lb.yaml": ["NET_RAW"],
                        "speaker-bgp.yaml": ["NET_RAW", "DAC_OVERRIDE", "CHOWN"]}


def docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def workloads(name: str) -> list[dict[str, Any]]:
    return [d for d in docs(name) if d["kind"] in ("Deployment", "DaemonSet")]


def ours(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = [c for c in workload["spec"]["template"]["spec"]["containers"]
                    if "/baremetal-lb:" in c["image"]]
    return container


def parse(container: dict[str, Any]) -> argparse.Namespace:
    # $(NODE_IP) is the kubelet's substitution of the env var; any address does here.
    return _parser().parse_args([a.replace("$(NODE_IP)", "192.0.2.11")
                                 for a in container["args"]])


def every_container() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(name, w, ours(w)) for name in MANIFESTS for w in workloads(name)]


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def test_the_manifests_hold_both_components() -> None:
    assert {w["metadata"]["name"] for w in workloads("baremetal-lb.yaml")} == {
        "baremetal-lb-controller", "baremetal-lb-speaker"}
    assert [w["metadata"]["name"] for w in workloads("speaker-bgp.yaml")] == [
        "baremetal-lb-speaker"]


@pytest.mark.parametrize("name,workload,container", every_container(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_container_runs_a_valid_command_line(name: str, workload: dict[str, Any],
                                                    container: dict[str, Any]) -> None:
    args = parse(container)
    component = workload["metadata"]["name"].removeprefix("baremetal-lb-")
    assert args.func.__name__ == f"_{component}"
    assert args.namespace == workload["metadata"]["namespace"]


@pytest.mark.parametrize("name,workload,container", every_container(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_probes_reach_health_and_metrics_stay_off_the_network(
        name: str, workload: dict[str, Any], container: dict[str, Any]) -> None:
    args = parse(container)
    pod = workload["spec"]["template"]["spec"]
    assert host_port(args.metrics_address)[0] == "127.0.0.1", "plain /metrics beyond localhost"
    health_host, health_port = host_port(args.health_address or args.metrics_address)
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", ())}
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}[probe]
        assert ports.get(get["port"], get["port"]) == health_port
        if get.get("host") == "127.0.0.1":
            # The kubelet reaches a pod's localhost only when the pod is the host's network.
            assert pod.get("hostNetwork") and health_host == "127.0.0.1"
        else:
            assert health_host in ("0.0.0.0", "::")
    # The TLS endpoint's certificate comes from the mounted Secret.
    assert args.secure_metrics_address
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    tls = next(n for n, v in volumes.items()
               if v.get("secret", {}).get("secretName") == "baremetal-lb-metrics-tls")
    for path in (args.metrics_tls_cert_file, args.metrics_tls_key_file):
        assert path.startswith(mounts[tls] + "/")
    assert ports.get("metrics-tls") == host_port(args.secure_metrics_address)[1]


@pytest.mark.parametrize("name", MANIFESTS)
def test_the_speaker_has_only_the_capabilities_its_mode_uses(name: str) -> None:
    (speaker,) = [w for w in workloads(name) if w["metadata"]["name"] == "baremetal-lb-speaker"]
    pod = speaker["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    context = ours(speaker)["securityContext"]
    assert context["capabilities"] == {"drop": ["ALL"], "add": SPEAKER_CAPABILITIES[name]}
    assert context["allowPrivilegeEscalation"] is False
    args = parse(ours(speaker))
    heartbeat = [p for p in ours(speaker)["ports"] if p["name"] == "heartbeat"]
    assert heartbeat == [{"name": "heartbeat", "containerPort": args.heartbeat_port,
                          "protocol": "UDP"}]


def test_the_bgp_speaker_shares_frrs_socket_directory() -> None:
    (speaker,) = workloads("speaker-bgp.yaml")
    pod = speaker["spec"]["template"]["spec"]
    args = parse(ours(speaker))
    assert args.bgp_engine == "frr"
    (frr,) = [c for c in pod["containers"] if c["name"] == "frr"]
    assert {e["name"]: e["value"] for e in frr["env"]}["FRR_DIR"] == args.frr_dir

    def volume_at(container: dict[str, Any], path: str) -> str:
        (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == path]
        return str(mount["name"])

    shared = volume_at(frr, args.frr_dir)
    assert volume_at(ours(speaker), args.frr_dir) == shared
    assert {"name": shared, "emptyDir": {}} in pod["volumes"]


@pytest.mark.parametrize("name", MANIFESTS)
def test_secrets_are_granted_only_by_name(name: str) -> None:
    rules = [rule for doc in docs(name) if doc["kind"] in ("Role", "ClusterRole")
             for rule in doc["rules"] if "secrets" in rule.get("resources", ())]
    assert rules or name == "baremetal-lb.yaml"
    for rule in rules:
        assert rule.get("resourceNames"), f"{name}: Secrets without resourceNames: {rule}"
    if name == "baremetal-lb.yaml":
        (speaker,) = [w for w in workloads(name) if w["metadata"]["name"].endswith("speaker")]
        secret = parse(ours(speaker)).heartbeat_secret
        assert any(secret in rule["resourceNames"] and rule["verbs"] == ["get"]
                   for rule in rules)
