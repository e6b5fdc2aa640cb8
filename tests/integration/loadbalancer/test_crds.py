"""Our metallb.io CRDs on the lab's real kube-apiserver.

- they server-side apply (field manager "baremetal-lb"), idempotently, and become Established;
- manifests written for MetalLB (manifests/metallb/docs-*.yaml) apply unchanged, apart from
  metadata.namespace, and read back with the fields that were sent;
- what MetalLB's webhook refused is refused here too, with a message that says what to fix
  (manifests/metallb/rejected.yaml);
- `kubectl get` shows the printer columns; BGPPeer v1beta1 and v1beta2 are views of one object;
- the output of import_legacy for a legacy ConfigMap applies as well.

Everything is created in a namespace of its own, deleted at the end; the CRDs are shared and
never deleted.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import config  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

from baremetal_lb.config import crds, import_legacy  # noqa: E402
from baremetal_lb.config.legacy_fields import LegacyLoader  # noqa: E402

MANIFESTS = Path(__file__).parent / "manifests" / "metallb"
DOCS = sorted(MANIFESTS.glob("docs-*.yaml"))
FIELD_MANAGER = "baremetal-lb"
PLURALS = {"IPAddressPool": "ipaddresspools", "L2Advertisement": "l2advertisements",
           "BGPAdvertisement": "bgpadvertisements", "BGPPeer": "bgppeers",
           "BFDProfile": "bfdprofiles", "Community": "communities", "Secret": "secrets"}


def _load(path: Path) -> list[dict[str, Any]]:
    # Go's YAML reads `value: 1234:1` as text; PyYAML's default rules would make it a number.
    return [d for d in yaml.load_all(path.read_text(), Loader=LegacyLoader) if d]


REJECTED = yaml.load((MANIFESTS / "rejected.yaml").read_text(), Loader=LegacyLoader)


def _path(api_version: str, kind: str, namespace: str | None = None, name: str | None = None) -> str:
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    path = base + (f"/namespaces/{namespace}" if namespace else "")
    if kind == "CustomResourceDefinition":
        path = f"/apis/{api_version}/customresourcedefinitions"
    else:
        path += f"/{PLURALS[kind]}"
    return path + (f"/{name}" if name else "")


class Api:
    """Raw requests, so that content types, warnings and Status messages stay visible."""

    def __init__(self, api_client: Any) -> None:
        self.client = api_client

    def call(self, method: str, path: str, body: Any = None, *, query: list[tuple[str, str]] | None = None,
             content_type: str = "application/json", accept: str = "application/json"
             ) -> tuple[dict[str, Any], dict[str, str]]:
        method, url, headers, serialized, post = self.client.param_serialize(
            method, path, query_params=query or [], body=body, auth_settings=["BearerToken"],
            header_params={"Content-Type": content_type, "Accept": accept})
        response = self.client.call_api(method, url, header_params=headers, body=serialized,
                                        post_params=post)
        text = response.read().decode() if response.read() else "{}"
        if response.status >= 400:
            raise ApiException(status=response.status, reason=response.reason, body=text)
        return json.loads(text), dict(response.headers)

    def apply(self, obj: dict[str, Any], *, manager: str = FIELD_MANAGER
              ) -> tuple[dict[str, Any], dict[str, str]]:
        meta = obj["metadata"]
        return self.call("PATCH", _path(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"]),
                         obj, content_type="application/apply-patch+yaml",
                         query=[("fieldManager", manager), ("force", "true"), ("fieldValidation", "Strict")])

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """POST, as `kubectl create` and a first `kubectl apply` do."""
        path = _path(obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace"))
        return self.call("POST", path, obj, query=[("fieldManager", FIELD_MANAGER), ("fieldValidation", "Strict")])[0]

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
        return self.call("GET", _path(api_version, kind, namespace, name))[0]


def _eventually(probe: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := probe()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


def _assert_contains(sent: Any, got: Any, where: str) -> None:
    """Every field sent came back with the same value (the server may add defaults)."""
    if isinstance(sent, dict):
        assert isinstance(got, dict), f"{where}: sent a mapping, got {got!r}"
        for key, value in sent.items():
            assert key in got, f"{where}.{key} was dropped"
            _assert_contains(value, got[key], f"{where}.{key}")
    else:
        assert got == sent, f"{where}: sent {sent!r}, read back {got!r}"


@pytest.fixture(scope="module")
def api(lab: Any) -> Iterator[Api]:
    api_client = config.new_client_from_config(config_file=lab.info("kube")["kubeconfig"])
    yield Api(api_client)
    api_client.close()


@pytest.fixture(scope="module")
def applied(api: Api) -> list[dict[str, Any]]:
    """Our CRDs, server-side applied (idempotent: other tests and workers apply them too)."""
    results = [api.apply(crd)[0] for crd in crds()]

    def established() -> bool:
        for crd in crds():
            status = api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", None,
                             crd["metadata"]["name"]).get("status", {})
            ready = {c["type"] for c in status.get("conditions", []) if c["status"] == "True"}
            if not {"Established", "NamesAccepted"} <= ready:
                return False
        return True

    _eventually(established)
    return results


@pytest.fixture(scope="module")
def namespace(api: Api, applied: list[dict[str, Any]]) -> Iterator[str]:
    name = f"crds-{uuid.uuid4().hex[:8]}"
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    yield name
    api.call("DELETE", f"/api/v1/namespaces/{name}")


def _into(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The object as written, moved to the test's namespace (the only change made)."""
    return {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}


def test_crds_apply_idempotently_and_are_established(api: Api, applied: list[dict[str, Any]]) -> None:
    for crd, first in zip(crds(), applied, strict=True):
        managers = {(m["manager"], m["operation"]) for m in first["metadata"]["managedFields"]}
        assert (FIELD_MANAGER, "Apply") in managers
        again, _ = api.apply(crd)
        assert again["metadata"]["generation"] == first["metadata"]["generation"], \
            f"re-applying {crd['metadata']['name']} changed its spec"
        assert again["spec"]["names"]["plural"] == crd["spec"]["names"]["plural"]


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_metallb_manifests_apply_unchanged(api: Api, namespace: str, path: Path) -> None:
    for obj in _load(path):
        sent = _into(obj, namespace)
        try:
            api.apply(sent)
        except ApiException as error:
            pytest.fail(f"{path.name}: {obj['kind']} {obj['metadata']['name']} refused: {error.body}")
        got = api.get(obj["apiVersion"], obj["kind"], namespace, obj["metadata"]["name"])
        assert got["apiVersion"] == obj["apiVersion"]
        if obj["kind"] != "Secret":  # stringData is write-only by design
            _assert_contains(obj.get("spec", {}), got.get("spec", {}), f"{obj['kind']}/{obj['metadata']['name']}")
        _assert_contains(obj["metadata"].get("labels", {}), got["metadata"].get("labels", {}), "labels")


def test_defaults_are_metallbs(api: Api, namespace: str) -> None:
    for obj in _load(MANIFESTS / "docs-ipaddresspools.yaml") + _load(MANIFESTS / "docs-advertisements.yaml"):
        api.apply(_into(obj, namespace))
    pool = api.get("metallb.io/v1beta1", "IPAddressPool", namespace, "first-pool")["spec"]
    assert (pool["autoAssign"], pool["avoidBuggyIPs"]) == (True, False)
    advertisement = api.get("metallb.io/v1beta1", "BGPAdvertisement", namespace, "external")["spec"]
    assert (advertisement["aggregationLength"], advertisement["aggregationLengthV6"]) == (24, 64)
    peer, _ = api.apply(_into({"apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer",
                               "metadata": {"name": "defaults"},
                               "spec": {"myASN": 64500, "peerASN": 64501, "peerAddress": "198.51.100.9"}},
                              namespace))
    assert (peer["spec"]["peerPort"], peer["spec"]["disableMP"]) == (179, False)


@pytest.mark.parametrize("case", REJECTED, ids=[c["name"] for c in REJECTED])
def test_invalid_objects_are_refused_with_a_useful_message(api: Api, namespace: str,
                                                          case: dict[str, Any]) -> None:
    # Created with POST: a server-side apply reports unknown fields and duplicate list keys
    # as a 500 "failed to create typed patch object" before validation even runs.
    with pytest.raises(ApiException) as refused:
        api.create(_into(case["object"], namespace))
    assert refused.value.status in (400, 422), refused.value.body  # 400: strict decoding
    message = json.loads(refused.value.body)["message"]
    for fragment in case["expect"]:
        assert fragment in message, message


def test_graceful_restart_cannot_change(api: Api, namespace: str) -> None:
    peer = _into({"apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer", "metadata": {"name": "gr"},
                  "spec": {"myASN": 64500, "peerASN": 64501, "peerAddress": "198.51.100.2",
                           "enableGracefulRestart": True}}, namespace)
    api.apply(peer)
    peer["spec"]["enableGracefulRestart"] = False
    with pytest.raises(ApiException) as refused:
        api.apply(peer)
    assert "enableGracefulRestart cannot be changed after creation" in json.loads(refused.value.body)["message"]


def test_bgppeer_versions_are_one_object(api: Api, namespace: str) -> None:
    old = _into({"apiVersion": "metallb.io/v1beta1", "kind": "BGPPeer", "metadata": {"name": "two-views"},
                 "spec": {"myASN": 64512, "peerASN": 64513, "peerAddress": "203.0.113.253",
                          "holdTime": "90s", "keepaliveTime": "30s"}}, namespace)
    _, headers = api.apply(old)
    assert "v1beta1 BGPPeer is deprecated" in headers.get("Warning", "")
    as_new = api.get("metallb.io/v1beta2", "BGPPeer", namespace, "two-views")
    assert as_new["apiVersion"] == "metallb.io/v1beta2"
    _assert_contains(old["spec"], as_new["spec"], "v1beta2 view")
    as_old = api.get("metallb.io/v1beta1", "BGPPeer", namespace, "two-views")
    assert as_old["spec"] == as_new["spec"]


def test_pool_status_is_a_subresource(api: Api, namespace: str) -> None:
    api.apply(_into({"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                     "metadata": {"name": "with-status"}, "spec": {"addresses": ["198.18.3.0/30"]}}, namespace))
    path = _path("metallb.io/v1beta1", "IPAddressPool", namespace, "with-status") + "/status"
    status = {"assignedIPv4": 1, "availableIPv4": 3, "assignedIPv6": 0, "availableIPv6": 0}
    api.call("PATCH", path, {"status": status}, content_type="application/merge-patch+json")
    assert api.get("metallb.io/v1beta1", "IPAddressPool", namespace, "with-status")["status"] == status
    with pytest.raises(ApiException) as refused:
        api.call("PATCH", path, {"status": {"availableIPv4": -1}}, content_type="application/merge-patch+json")
    assert "status.availableIPv4" in json.loads(refused.value.body)["message"]


def test_kubectl_get_shows_printer_columns(api: Api, namespace: str) -> None:
    for obj in _load(MANIFESTS / "docs-ipaddresspools.yaml") + _load(MANIFESTS / "docs-bgp.yaml"):
        api.apply(_into(obj, namespace))
    table_accept = "application/json;as=Table;v=v1;g=meta.k8s.io"
    pools, _ = api.call("GET", _path("metallb.io/v1beta1", "IPAddressPool", namespace), accept=table_accept)
    columns = [c["name"] for c in pools["columnDefinitions"]]
    assert columns[:4] == ["Name", "Auto Assign", "Avoid Buggy IPs", "Addresses"]
    assert {"Assigned IPv4", "Available IPv4", "Assigned IPv6", "Available IPv6", "Age"} <= set(columns)
    rows = {row["cells"][0]: dict(zip(columns, row["cells"], strict=True)) for row in pools["rows"]}
    assert rows["expensive"]["Auto Assign"] is False
    assert "2001:db8:42::/64" in rows["expensive"]["Addresses"]
    peers, _ = api.call("GET", _path("metallb.io/v1beta2", "BGPPeer", namespace), accept=table_accept)
    columns = [c["name"] for c in peers["columnDefinitions"]]
    rows = {row["cells"][0]: dict(zip(columns, row["cells"], strict=True)) for row in peers["rows"]}
    assert (rows["peer-sample"]["Address"], rows["peer-sample"]["BFD Profile"]) == ("198.51.100.1", "full1")


def test_legacy_configmap_import_applies(api: Api, namespace: str) -> None:
    objects = import_legacy((MANIFESTS / "legacy-configmap.yaml").read_text(), namespace=namespace)
    assert {o["kind"] for o in objects} == {"BFDProfile", "Community", "IPAddressPool", "L2Advertisement",
                                           "BGPAdvertisement", "BGPPeer"}
    for obj in objects:
        try:
            api.apply(obj)
        except ApiException as error:
            pytest.fail(f"imported {obj['kind']} {obj['metadata']['name']} refused: {error.body}")
        got = api.get(obj["apiVersion"], obj["kind"], namespace, obj["metadata"]["name"])
        _assert_contains(obj["spec"], got["spec"], f"{obj['kind']}/{obj['metadata']['name']}")
