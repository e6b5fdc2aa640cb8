"""Prometheus metrics and the health endpoints, served on one small HTTP server.

The registry is our own (not prometheus_client's global one) so that tests can run several
controllers in one process and so that only our metrics are exported.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar, cast

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

PREFIX = "baremetal_lb"


class ApiMetrics:
    """What both components count of their requests to the apiserver (KubeClient.observer)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.api_requests = Counter(
            f"{PREFIX}_api_requests_total", "Requests sent to the Kubernetes API",
            ["verb", "resource", "code"], registry=self.registry)
        self.api_request_seconds = Histogram(
            f"{PREFIX}_api_request_duration_seconds",
            "Time until the Kubernetes API answered (a watch: until its stream opened)",
            ["verb", "resource"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry)

    def observe_request(self, verb: str, resource: str, code: int, seconds: float) -> None:
        self.api_requests.labels(verb=verb, resource=resource, code=str(code)).inc()
        self.api_request_seconds.labels(verb=verb, resource=resource).observe(seconds)


class ControllerMetrics(ApiMetrics):
    def __init__(self) -> None:
        super().__init__()
        r = self.registry
        self.addresses_in_use = Gauge(
            f"{PREFIX}_pool_addresses_in_use", "Addresses of the pool assigned to Services",
            ["pool", "family"], registry=r)
        self.addresses_available = Gauge(
            f"{PREFIX}_pool_addresses_available", "Addresses of the pool still free",
            ["pool", "family"], registry=r)
        self.allocations = Counter(
            f"{PREFIX}_allocations_total", "Services given a new set of IPs", registry=r)
        self.allocation_failures = Counter(
            f"{PREFIX}_allocation_failures_total", "Services that could not be given an IP",
            ["reason"], registry=r)
        self.pool_problems = Gauge(
            f"{PREFIX}_pool_config_problems", "IPAddressPools left out because they are invalid",
            registry=r)
        self.reconcile_seconds = Histogram(
            f"{PREFIX}_reconcile_duration_seconds", "Time to reconcile one Service",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r)
        self.leader = Gauge(
            f"{PREFIX}_leader", "1 while this replica leads and allocates", registry=r)
        self.services = Gauge(
            f"{PREFIX}_services", "LoadBalancer Services holding IPs from this replica "
            "(0 while it does not lead)", registry=r)

    def set_pool_usage(self, pool: str, family: str, in_use: int, available: int) -> None:
        self.addresses_in_use.labels(pool=pool, family=family).set(in_use)
        self.addresses_available.labels(pool=pool, family=family).set(available)

    def forget_pool(self, pool: str) -> None:
        for family in ("ipv4", "ipv6"):
            for gauge in (self.addresses_in_use, self.addresses_available):
                try:
                    gauge.remove(pool, family)
                except KeyError:
                    pass


HealthCheck = Callable[[], tuple[bool, str]]
# A bearer token -> (HTTP status, reason): 200 may read /metrics, 401, 403 or 503 (see
# kube/authn.py TokenAuthorizer.check).
Authorizer = Callable[[str], tuple[int, str]]


class MetricsServer:
    """Plain HTTP: /healthz (the process works), /readyz (caches synced) and, with `metrics`,
    /metrics. Bind it to localhost (the kubelet's probes reach a host-network pod there) or
    serve health only: plain /metrics tells anyone who can reach it the pools, their usage
    and the apiserver's health; SecureMetricsServer serves it to authorized clients."""

    def __init__(self, address: str, registry: CollectorRegistry,
                 healthz: HealthCheck, readyz: HealthCheck, *, metrics: bool = True) -> None:
        handler = _handler(registry if metrics else None,
                           {"/healthz": healthz, "/readyz": readyz})
        host_port = _host_port(address)
        self._server = _for_family(ThreadingHTTPServer, host_port[0])(host_port, handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics",
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SecureMetricsServer(MetricsServer):
    """/metrics over TLS, for a client whose bearer token the apiserver vouches for and whose
    user may `get` /metrics (`authorize`); nothing else is served. The certificate and key are
    files (a kubernetes.io/tls Secret mounted in the pod), read again when they change, so a
    rotated certificate needs no restart."""

    def __init__(self, address: str, registry: CollectorRegistry, cert_file: str,
                 key_file: str, authorize: Authorizer) -> None:
        self._tls = _TlsFiles(cert_file, key_file)
        handler = _handler(registry, {}, authorize=authorize)
        host_port = _host_port(address)
        self._server = _for_family(_TlsHTTPServer, host_port[0])(host_port, handler, self._tls)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="secure-metrics", daemon=True)


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


_Server = TypeVar("_Server", bound=ThreadingHTTPServer)


def _for_family(cls: type[_Server], host: str) -> type[_Server]:
    """The server class for the host's address family (an IPv6 node address, or `::`)."""
    if ":" not in host:
        return cls
    return cast(type[_Server], type(f"{cls.__name__}6", (cls,),
                                    {"address_family": socket.AF_INET6}))


class _TlsFiles:
    """A server TLS context from certificate and key files, reloaded when either changes."""

    def __init__(self, cert_file: str, key_file: str) -> None:
        self.cert_file, self.key_file = cert_file, key_file
        self._lock = threading.Lock()
        self._stamp: tuple[float, float] | None = None
        self.context = self._load()

    def _load(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        self._stamp = self._mtimes()
        return context

    def _mtimes(self) -> tuple[float, float]:
        return os.stat(self.cert_file).st_mtime, os.stat(self.key_file).st_mtime

    def current(self) -> ssl.SSLContext:
        with self._lock:
            try:
                if self._mtimes() != self._stamp:
                    self.context = self._load()
            except (OSError, ssl.SSLError):
                pass    # mid-rotation (one file new, the other not yet): keep the old pair
            return self.context


class _TlsHTTPServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 tls: _TlsFiles) -> None:
        self._tls = tls
        super().__init__(address, handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, peer = self.socket.accept()
        sock.settimeout(HANDSHAKE_TIMEOUT)
        # The handshake happens on the handler's thread (first read), never on the accept
        # loop, so a client that stalls it cannot stop the others.
        return self._tls.current().wrap_socket(sock, server_side=True,
                                               do_handshake_on_connect=False), peer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass    # failed handshakes and dropped scrapes are the client's business


HANDSHAKE_TIMEOUT = 10.0


def _handler(registry: CollectorRegistry | None, checks: dict[str, HealthCheck], *,
             authorize: Authorizer | None = None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = self.path.split("?", 1)[0]
            if path == "/metrics" and registry is not None:
                if authorize is not None:
                    scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
                    code, reason = authorize(token.strip() if scheme.lower() == "bearer"
                                             else "")
                    if code != 200:
                        self._reply(code, (reason + "\n").encode(), "text/plain")
                        return
                self._reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path in checks:
                ok, detail = checks[path]()
                self._reply(200 if ok else 503, (detail + "\n").encode(), "text/plain")
            else:
                self._reply(404, b"not found\n", "text/plain")

        def _reply(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            if code == 401:
                self.send_header("WWW-Authenticate", 'Bearer realm="baremetal-lb"')
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # scrapes every few seconds would drown the controller's own log

    return Handler


class SpeakerMetrics(ApiMetrics):
    def __init__(self) -> None:
        super().__init__()
        r = self.registry
        self.announced = Gauge(
            f"{PREFIX}_speaker_announced_ips", "IPs this node announces", ["protocol"],
            registry=r)
        self.members = Gauge(
            f"{PREFIX}_speaker_live_members", "Speakers heard alive on the LAN (self included)",
            ["interface"], registry=r)
        self.conflicts = Counter(
            f"{PREFIX}_speaker_conflicts_total",
            "Foreign hosts seen answering or probing for an IP this node owns", ["kind"],
            registry=r)
        self.heartbeat_rejects = Counter(
            f"{PREFIX}_speaker_heartbeats_rejected_total",
            "Heartbeats refused (bad signature, replay, stale, duplicate node)", ["reason"],
            registry=r)
        self.reconcile_seconds = Histogram(
            f"{PREFIX}_speaker_reconcile_duration_seconds", "Time to recompute what to announce",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
            registry=r)
        self.status_write_failures = Counter(
            f"{PREFIX}_speaker_l2_status_write_failures_total",
            "ServiceL2Status writes that failed (reason api: refused or unreachable; "
            "unexpected: any other error)", ["reason"], registry=r)
        self.config_problems = Gauge(
            f"{PREFIX}_speaker_config_problems",
            "metallb.io objects this speaker leaves out (and problems of this node alone)",
            registry=r)
