"""The speaker reads only the Secrets BGPPeers name, each by name (fieldSelector
metadata.name), never the namespace's Secrets at large; the apiserver is faked at the request
boundary (LIST and WATCH), and records every request for Secrets."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from baremetal_lb.metrics import SpeakerMetrics
from baremetal_lb.speaker import Layer2Options, Speaker, SpeakerOptions
from baremetal_lb.speaker.secrets import NamedSecrets

NS = "lb"
SECRETS = f"/api/v1/namespaces/{NS}/secrets"


def secret(name: str, password: str, type_: str = "kubernetes.io/basic-auth") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": NS, "resourceVersion": "5"}, "type": type_,
            "data": {"password": base64.b64encode(password.encode()).decode()}}


def peer(name: str, secret_name: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"myASN": 64513, "peerASN": 64512, "peerAddress": "198.51.100.1"}
    if secret_name:
        spec["passwordSecret"] = {"name": secret_name, "namespace": NS}
    return {"apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer",
            "metadata": {"name": name, "namespace": NS, "resourceVersion": "3"}, "spec": spec}


class Stream:
    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> dict[str, Any]:
        self.closed.wait()
        raise StopIteration

    def close(self) -> None:
        self.closed.set()


class FakeApi:
    """Collections by path; a metadata.name field selector filters, as the apiserver does."""

    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self.objects = objects
        self.observer: Any = None
        self.secret_requests: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def _select(self, path: str, params: Any) -> list[dict[str, Any]]:
        params = dict(params or {})
        if path == SECRETS:
            with self.lock:
                self.secret_requests.append(params)
        items = self.objects.get(path, [])
        selector = params.get("fieldSelector", "")
        if selector.startswith("metadata.name="):
            items = [i for i in items if i["metadata"]["name"] == selector.split("=", 1)[1]]
        elif selector:
            raise AssertionError(f"unexpected field selector {selector!r}")
        return items

    def request(self, method: str, path: str, *, params: Any = None, **kw: Any) -> dict[str, Any]:
        assert method == "GET", f"{method} {path}"
        items = [dict(i) for i in self._select(path.split("?")[0], params)]
        return {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "9"},
                "items": items}

    def watch(self, path: str, *, resource_version: str, timeout_seconds: int = 300,
              params: Any = None) -> Stream:
        self._select(path, params)
        return Stream()


def test_named_secrets_reads_each_secret_by_name_and_follows_the_names() -> None:
    api = FakeApi({SECRETS: [secret("pw-a", "alpha"), secret("pw-b", "bravo"),
                             secret("tls", "x", type_="kubernetes.io/tls")]})
    changes: list[Any] = []
    secrets = NamedSecrets(api, NS, lambda *a: changes.append(a))  # type: ignore[arg-type]
    try:
        secrets.want({"pw-a", "tls"})
        secrets.wait_read(5)
        assert secrets.passwords() == {"pw-a": "alpha"}, "only basic-auth Secrets count"
        secrets.want({"pw-b"})
        secrets.wait_read(5)
        assert secrets.passwords() == {"pw-b": "bravo"}
        assert changes, "a Secret read or dropped must rebuild the configuration"
    finally:
        secrets.stop()
    assert api.secret_requests
    assert all(p.get("fieldSelector", "").startswith("metadata.name=")
               for p in api.secret_requests), api.secret_requests


def test_a_secret_being_read_is_waited_for_briefly() -> None:
    clock = [0.0]
    api = FakeApi({})
    secrets = NamedSecrets(api, NS, lambda *a: None, clock=lambda: clock[0])  # type: ignore[arg-type]
    gate = threading.Event()
    original = api.request

    def slow(method: str, path: str, **kw: Any) -> dict[str, Any]:
        gate.wait(5)
        return original(method, path, **kw)

    api.request = slow  # type: ignore[method-assign]
    try:
        secrets.want({"pw-a"})
        assert secrets.waiting()
        clock[0] = 5.0            # given up on: the peer will show the Secret as missing
        assert not secrets.waiting()
    finally:
        gate.set()
        secrets.stop()


class Engine:
    def apply(self, config: Any) -> None:
        pass

    def peer_states(self) -> dict[str, Any]:
        return {}

    def healths(self) -> list[Any]:
        return []

    def close(self) -> None:
        pass


@pytest.fixture
def bgp_speaker() -> Iterator[tuple[Speaker, FakeApi]]:
    api = FakeApi({
        f"/apis/metallb.io/v1beta2/namespaces/{NS}/bgppeers": [peer("router", "pw-router"),
                                                             peer("plain", None)],
        SECRETS: [secret("pw-router", "s3cret"), secret("unrelated", "do-not-read")],
    })
    options = SpeakerOptions(node="node1", namespace=NS,
                             layer2=Layer2Options(keys={1: b"k" * 32}), bgp_engine=Engine())
    speaker = Speaker(api, options, SpeakerMetrics())  # type: ignore[arg-type]
    yield speaker, api
    speaker.secrets.stop()
    for protocol in speaker.protocols:
        if protocol.name == "layer2":
            protocol.stop()


def test_the_speaker_reads_only_the_secrets_its_peers_name(bgp_speaker: Any) -> None:
    speaker, api = bgp_speaker
    assert "secrets" not in speaker.inputs, "no informer over the namespace's Secrets"
    speaker.inputs["bgppeers"].relist()
    deadline = time.monotonic() + 5
    config = speaker._rebuild_config()
    while speaker._config_changed and time.monotonic() < deadline:
        time.sleep(0.02)
        config = speaker._rebuild_config()
    peers = {entry.peer.name: entry.peer for entry in config.peers}
    assert peers["router"].password == "s3cret" and peers["plain"].password is None
    assert api.secret_requests and all(
        p.get("fieldSelector") == "metadata.name=pw-router" for p in api.secret_requests), \
        api.secret_requests
