"""runtime/deploy/*.yaml: the entry point started with flags it accepts, probes on the health
endpoint, metrics never plain beyond localhost, Secrets only by name, capabilities no more
than the mode uses, a BGP speaker that shares FRR's socket directory with FRR, and RBAC that
grants exactly what the code asks of the apiserver.

Both files are the collection's load_balancer template rendered (`make deploy-manifests`;
test_collection_copies.py keeps them equal to it): baremetal-lb.yaml for layer 2, and
speaker-bgp.yaml the objects that differ in BGP mode, applied after it. Each check runs on
what a cluster gets in each mode: "baremetal-lb.yaml", and "speaker-bgp.yaml" as the objects
of baremetal-lb.yaml replaced by those of speaker-bgp.yaml."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.cli import _parser
from baremetal_lb.speaker.bgp import Bgp
from baremetal_lb.speaker.layer2 import Layer2
from baremetal_lb.speaker.speaker import WATCHABLE

DEPLOY = Path(__file__).parents[2] / "deploy"
MANIFESTS = ("baremetal-lb.yaml", "speaker-bgp.yaml")
SPEAKER_CAPABILITIES = {"baremetal-lb.yaml": ["NET_RAW"],
                        "speaker-bgp.yaml": ["NET_RAW", "DAC_OVERRIDE", "CHOWN"]}


def _file(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def _key(doc: dict[str, Any]) -> tuple[str, str | None, str]:
    return doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"]


def docs(name: str) -> list[dict[str, Any]]:
    """What the cluster holds in that mode (speaker-bgp.yaml: over baremetal-lb.yaml)."""
    merged = {_key(d): d for d in _file(MANIFESTS[0])}
    if name != MANIFESTS[0]:
        merged |= {_key(d): d for d in _file(name)}
    return list(merged.values())


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


def workload(name: str, component: str) -> dict[str, Any]:
    (found,) = [w for w in workloads(name) if w["metadata"]["name"] == f"baremetal-lb-{component}"]
    return found


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def test_the_manifests_hold_both_components() -> None:
    for name in MANIFESTS:
        assert {w["metadata"]["name"] for w in workloads(name)} == {
            "baremetal-lb-controller", "baremetal-lb-speaker"}
    # speaker-bgp.yaml itself changes the speaker only.
    assert [d["metadata"]["name"] for d in _file("speaker-bgp.yaml")
            if d["kind"] in ("Deployment", "DaemonSet")] == ["baremetal-lb-speaker"]


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
    speaker = workload("speaker-bgp.yaml", "speaker")
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
    for rule in rules:
        assert rule.get("resourceNames"), f"{name}: Secrets without resourceNames: {rule}"
    # The heartbeat key is read once, by name (cli.py _heartbeat_key).
    secret = parse(ours(workload(name, "speaker"))).heartbeat_secret
    (heartbeat,) = [rule for rule in rules if secret in rule["resourceNames"]]
    assert heartbeat["verbs"] == ["get"] and heartbeat["resourceNames"] == [secret]
    # BGP passwords: an informer per Secret a BGPPeer names (speaker/secrets.py), no get.
    others = [rule for rule in rules if rule is not heartbeat]
    assert bool(others) == (name == "speaker-bgp.yaml")
    for rule in others:
        assert rule["verbs"] == ["list", "watch"]
    # The controller reads no Secret.
    assert not {g for g in grants(name, "baremetal-lb-controller") if g[2] == "secrets"}


# What each component asks of the apiserver, besides Secrets (test_secrets_are_granted_only_by_name):
# (cluster-wide or in its namespace, API group, resource, verbs).
CONTROLLER_NEEDS = [
    ("cluster", "", "services", "list watch"),               # controller.py informers
    ("cluster", "", "namespaces", "list watch"),             # (pools' namespace selectors)
    ("cluster", "", "services/status", "patch"),             # controller.py _patch_status
    ("cluster", "", "events", "create patch"),               # kube/events.py
    ("cluster", "authentication.k8s.io", "tokenreviews", "create"),          # kube/authn.py
    ("cluster", "authorization.k8s.io", "subjectaccessreviews", "create"),   # kube/authn.py
    ("namespace", "metallb.io", "ipaddresspools", "list watch"),
    ("namespace", "metallb.io", "ipaddresspools/status", "patch"),
    # report.py: server-side apply creates the object (the apiserver then checks create too);
    # the status subresource never creates.
    ("namespace", "metallb.io", "configurationstates", "create patch"),
    ("namespace", "metallb.io", "configurationstates/status", "patch"),
    ("namespace", "coordination.k8s.io", "leases", "create"),    # kube/leader.py
]
SPEAKER_NEEDS = [
    ("cluster", "", "services", "list watch"),               # speaker.py informers
    ("cluster", "", "nodes", "list watch"),
    ("cluster", "discovery.k8s.io", "endpointslices", "list watch"),
    ("cluster", "", "events", "create patch"),
    ("cluster", "metallb.io", "servicel2statuses", "create patch"),          # speaker/status.py
    ("cluster", "metallb.io", "servicel2statuses/status", "patch"),
    ("cluster", "authentication.k8s.io", "tokenreviews", "create"),
    ("cluster", "authorization.k8s.io", "subjectaccessreviews", "create"),
    ("namespace", "metallb.io", "configurationstates", "create patch"),
    ("namespace", "metallb.io", "configurationstates/status", "patch"),
]


def grants(name: str, account: str) -> set[tuple[str, str, str, str, str | None]]:
    """Every (scope, group, resource, verb, resourceName or None) bound to the account."""
    all_docs = docs(name)
    roles = {(d["kind"], d["metadata"]["name"]): d for d in all_docs
             if d["kind"] in ("Role", "ClusterRole")}
    found = set()
    for binding in all_docs:
        if binding["kind"] not in ("RoleBinding", "ClusterRoleBinding") or not any(
                s["name"] == account for s in binding["subjects"]):
            continue
        role = roles[(binding["roleRef"]["kind"], binding["roleRef"]["name"])]
        scope = "cluster" if binding["kind"] == "ClusterRoleBinding" else "namespace"
        for rule in role["rules"]:
            found |= {(scope, group, resource, verb, resource_name)
                      for group in rule["apiGroups"] for resource in rule["resources"]
                      for verb in rule["verbs"]
                      for resource_name in rule.get("resourceNames") or [None]}
    return found


def expand(needs: list[tuple[str, str, str, str]]) -> set[tuple[str, str, str, str, None]]:
    return {(scope, group, resource, verb, None)
            for scope, group, resource, verbs in needs for verb in verbs.split()}


@pytest.mark.parametrize("name", MANIFESTS)
def test_the_controller_is_granted_exactly_what_it_uses(name: str) -> None:
    args = parse(ours(workload(name, "controller")))
    # The Lease is read and updated by name (kube/leader.py).
    wanted = expand(CONTROLLER_NEEDS) | {
        ("namespace", "coordination.k8s.io", "leases", verb, args.lease_name)
        for verb in ("get", "update")}
    assert grants(name, "baremetal-lb-controller") == wanted


@pytest.mark.parametrize("name", MANIFESTS)
def test_the_speaker_is_granted_exactly_what_it_uses(name: str) -> None:
    args = parse(ours(workload(name, "speaker")))
    # The pools, and what the mode's protocols watch (speaker.py builds an informer for each).
    kinds = ["ipaddresspools", *Layer2.watches, *(Bgp.watches if args.bgp_engine == "frr" else ())]
    assert set(kinds) <= {"ipaddresspools", *WATCHABLE}
    wanted = expand(SPEAKER_NEEDS) | {("namespace", "metallb.io", kind, verb, None)
                                      for kind in kinds for verb in ("list", "watch")}
    found = {g for g in grants(name, "baremetal-lb-speaker") if g[2] != "secrets"}
    assert found == wanted


def test_scrapers_may_get_metrics_through_a_clusterrole_of_their_own() -> None:
    (reader,) = [d for d in docs("baremetal-lb.yaml")
                 if d["metadata"]["name"] == "baremetal-lb-metrics-reader"]
    assert reader["kind"] == "ClusterRole"
    assert reader["rules"] == [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]
