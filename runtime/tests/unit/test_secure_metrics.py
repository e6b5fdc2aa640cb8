"""Metrics behind TLS and the apiserver's word on the client's token: no token 401, a token
the apiserver rejects 401, a user RBAC does not allow 403, an allowed one the metrics; the
answer cached by the token's hash; a rotated certificate served without a restart. The
apiserver is faked at the request boundary; the TLS server is real."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from baremetal_lb.kube import ApiError
from baremetal_lb.kube.authn import TokenAuthorizer
from baremetal_lb.metrics import MetricsServer, SecureMetricsServer, SpeakerMetrics

USERS = {"prometheus-token": ("system:serviceaccount:monitoring:prometheus", True),
         "someone-token": ("system:serviceaccount:apps:someone", False)}


class FakeApi:
    def __init__(self) -> None:
        self.reviews: list[dict[str, Any]] = []
        self.down = False

    def request(self, method: str, path: str, *, body: Any = None, **kw: Any) -> dict[str, Any]:
        if self.down:
            raise ApiError(0, "ConnectionError", "refused")
        self.reviews.append({"path": path, "body": body})
        if path.endswith("/tokenreviews"):
            user = USERS.get(body["spec"]["token"])
            if user is None:
                return {"status": {"authenticated": False}}
            return {"status": {"authenticated": True,
                               "user": {"username": user[0], "uid": "u1",
                                        "groups": ["system:serviceaccounts"]}}}
        spec = body["spec"]
        allowed = any(name == spec["user"] and ok for name, ok in USERS.values())
        assert spec["nonResourceAttributes"] == {"path": "/metrics", "verb": "get"}
        return {"status": {"allowed": allowed}}


def test_authorizer_answers_and_caches_by_token_hash() -> None:
    api, now = FakeApi(), [0.0]
    authorizer = TokenAuthorizer(api, clock=lambda: now[0])  # type: ignore[arg-type]
    check = authorizer.check
    assert check("") == (401, "a bearer token is required")
    assert check("forged")[0] == 401
    assert check("someone-token") == (403, "system:serviceaccount:apps:someone may not get "
                                           "/metrics")
    assert check("prometheus-token") == (200, "allowed")
    asked = len(api.reviews)
    assert check("prometheus-token")[0] == 200 and len(api.reviews) == asked, "not cached"
    now[0] = 61
    api.down = True
    assert check("prometheus-token")[0] == 503, "an apiserver outage is no verdict"
    api.down = False
    assert check("prometheus-token")[0] == 200 and len(api.reviews) > asked
    assert "prometheus-token" not in repr(authorizer._cache), "the token itself is kept nowhere"


@pytest.fixture
def certificate(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    make_certificate(cert, key, "first")
    yield cert, key


def make_certificate(cert: Path, key: Path, name: str) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)


def scrape(port: int, token: str | None) -> tuple[int, str]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    request = urllib.request.Request(f"https://127.0.0.1:{port}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def peer_name(port: int) -> str:
    der = ssl.get_server_certificate(("127.0.0.1", port))
    text = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=der,
                          capture_output=True, text=True, check=True).stdout
    return text.strip().rsplit("=", 1)[-1].strip()


def test_metrics_need_tls_and_an_authorized_token(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    metrics = SpeakerMetrics()
    authorizer = TokenAuthorizer(FakeApi())  # type: ignore[arg-type]
    server = SecureMetricsServer("127.0.0.1:0", metrics.registry, str(cert), str(key),
                                 authorizer.check)
    server.start()
    try:
        assert scrape(server.port, None)[0] == 401
        assert scrape(server.port, "forged")[0] == 401
        assert scrape(server.port, "someone-token")[0] == 403
        code, body = scrape(server.port, "prometheus-token")
        assert code == 200 and "baremetal_lb_speaker_announced_ips" in body
        # Health is not served here, and plain HTTP gets nothing.
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=2)
        # The certificate is rotated in place: new connections get the new one.
        assert peer_name(server.port) == "first"
        make_certificate(cert, key, "second")
        assert peer_name(server.port) == "second"
        assert scrape(server.port, "prometheus-token")[0] == 200
    finally:
        server.stop()


def test_a_health_only_server_serves_no_metrics() -> None:
    server = MetricsServer("127.0.0.1:0", SpeakerMetrics().registry, lambda: (True, "ok"),
                           lambda: (True, "ready"), metrics=False)
    server.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=2) as r:
            assert r.status == 200
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=2)
        assert caught.value.code == 404
    finally:
        server.stop()


def test_the_tls_endpoint_needs_its_certificate_and_key() -> None:
    from baremetal_lb.cli import _check_endpoints, _parser
    args = _parser().parse_args(["speaker", "--heartbeat-key-file", "k",
                                 "--secure-metrics-address", "192.0.2.11:9121"])
    assert _check_endpoints(args) == ("--secure-metrics-address needs --metrics-tls-cert-file "
                                      "and --metrics-tls-key-file")
    defaults = _parser().parse_args(["controller"])
    assert defaults.metrics_address == "127.0.0.1:7472" and _check_endpoints(defaults) is None


def test_an_ipv6_address_is_served() -> None:
    try:
        server = MetricsServer("[::1]:0", SpeakerMetrics().registry, lambda: (True, "ok"),
                               lambda: (True, "ready"))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    server.start()
    try:
        with urllib.request.urlopen(f"http://[::1]:{server.port}/healthz", timeout=2) as r:
            assert r.status == 200
    finally:
        server.stop()
