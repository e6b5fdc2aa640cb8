"""A thin, thread-safe REST client for the Kubernetes apiserver over urllib3.

One connection pool per client, shared by every thread: requests may be issued concurrently
(the pool keeps up to `maxsize` idle connections and opens more when needed). Watches hold
one connection each for their lifetime.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import HTTPError

from .config import (
    ClusterSettings,
    TokenSource,
    in_cluster_settings,
    read_kubeconfigs,
    settings_from_kubeconfig,
    ssl_context,
)
from .errors import ApiError, KubeConfigError, TransportError
from .paths import parse_path, resource_label, verb_of

Observer = Callable[[str, str, int, float], None]

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
JSON_PATCH = "application/json-patch+json"
# Slack over timeoutSeconds before a silent watch connection counts as dead (the apiserver
# closes the stream itself at timeoutSeconds).
WATCH_READ_SLACK = 30.0
# request(retry=False): no retry of any kind (urllib3 raises on the first failure).
_ONE_ATTEMPT = urllib3.Retry(total=0, connect=0, read=0, status=0, other=0, redirect=0,
                             raise_on_status=False)


class KubeClient:
    """Requests against one apiserver. `observer`, if set, is called after each request (and
    when a watch's response headers arrive) with (verb, resource, HTTP status or 0, seconds);
    it runs on the requesting thread and must be quick."""

    def __init__(self, settings: ClusterSettings, *, maxsize: int = 16, timeout: float = 30.0,
                 user_agent: str = "baremetal-lb") -> None:
        self.settings = settings
        self.observer: Observer | None = None
        self.timeout = timeout
        self._base = settings.server
        self._token = TokenSource(settings.token, settings.token_file)
        self._user_agent = user_agent
        pool_kwargs: dict[str, Any] = {
            "num_pools": 2, "maxsize": maxsize, "block": False,
            "socket_options": _socket_options(),
        }
        if settings.server.startswith("https://"):
            pool_kwargs["ssl_context"] = ssl_context(settings)
            if settings.insecure:
                pool_kwargs["cert_reqs"] = "CERT_NONE"
                pool_kwargs["assert_hostname"] = False
            if settings.tls_server_name:
                pool_kwargs["server_hostname"] = settings.tls_server_name
        self._pool = urllib3.PoolManager(**pool_kwargs)
        # Connect errors never reach the server, so any request may retry them; read errors
        # only for idempotent methods (urllib3's default allowed_methods).
        self._retries = urllib3.Retry(total=3, connect=3, read=1, status=0, other=0,
                                      redirect=0, backoff_factor=0.2, raise_on_status=False)
        self._discovery: dict[str, dict[str, tuple[str, bool]]] = {}
        self._discovery_lock = threading.Lock()

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_kubeconfig(cls, path: str, context: str | None = None, *,
                        user_agent: str = "baremetal-lb") -> KubeClient:
        paths = [p for p in path.split(os.pathsep) if p]
        return cls(settings_from_kubeconfig(read_kubeconfigs(paths), context, source=path),
                   user_agent=user_agent)

    @classmethod
    def in_cluster(cls, *, user_agent: str = "baremetal-lb") -> KubeClient:
        return cls(in_cluster_settings(), user_agent=user_agent)

    @classmethod
    def auto(cls, kubeconfig: str | None = None, *,
             user_agent: str = "baremetal-lb") -> KubeClient:
        """The first that applies: the argument, $KUBECONFIG, the Pod's service account,
        ~/.kube/config. `user_agent` names the component in the apiserver's audit log (and,
        up to its first "/", is the default field manager of writes)."""
        if kubeconfig:
            return cls.from_kubeconfig(kubeconfig, user_agent=user_agent)
        if os.environ.get("KUBECONFIG"):
            return cls.from_kubeconfig(os.environ["KUBECONFIG"], user_agent=user_agent)
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            return cls.in_cluster(user_agent=user_agent)
        home = os.path.expanduser("~/.kube/config")
        if os.path.exists(home):
            return cls.from_kubeconfig(home, user_agent=user_agent)
        raise KubeConfigError("no Kubernetes configuration found: pass --kubeconfig, set "
                              "$KUBECONFIG, run in a Pod, or create ~/.kube/config")

    def close(self) -> None:
        self._pool.clear()

    # -- requests ----------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                body: Any = None, content_type: str = JSON,
                timeout: float | None = None, retry: bool = True) -> dict[str, Any]:
        """One request; the decoded JSON answer ({} if empty). Raises ApiError for an error
        status and TransportError (an ApiError with status 0) when the apiserver is
        unreachable.

        `retry=False`: exactly one attempt, and `timeout` bounds it in all (connect, send and
        answer), for callers that retry themselves and must decide before each attempt
        whether it may still be sent (fenced writes, kube/fence.py). By default connect errors
        are retried here (up to 3 times, with backoff), which can take several timeouts."""
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        started = time.monotonic()
        context = f"{method} {path}"
        try:
            response = self._pool.request(
                method, self._url(path, params), body=data,
                headers=self._headers(content_type if data is not None else None),
                timeout=self._timeout(timeout, retry),
                retries=self._retries if retry else _ONE_ATTEMPT, preload_content=True,
                redirect=False)
        except HTTPError as exc:
            self._observe(method, path, False, 0, started)
            raise TransportError(str(exc), context) from exc
        self._observe(method, path, False, response.status, started)
        if response.status >= 400:
            raise ApiError.from_status(response.status, response.data, context)
        if not response.data:
            return {}
        try:
            decoded = json.loads(response.data)
        except ValueError as exc:
            raise ApiError(response.status, "InvalidResponse",
                           f"the answer is not JSON: {response.data[:200]!r}", context) from exc
        return decoded if isinstance(decoded, dict) else {"items": decoded}

    def watch(self, path: str, *, resource_version: str, timeout_seconds: int = 300,
              params: Mapping[str, str] | None = None) -> WatchStream:
        """Opens a watch on a collection from resource_version; iterate the result for the
        events ({"type": ..., "object": ...}, BOOKMARKs included). The iteration ends when
        the apiserver closes the stream (after timeout_seconds). Raises ApiError(410) when
        resource_version is too old, whether the apiserver says so by status or by an ERROR
        event; TransportError when the connection breaks. close() may be called from any
        thread to end the iteration."""
        query = dict(params or {})
        query.update(watch="1", allowWatchBookmarks="true", resourceVersion=resource_version,
                     timeoutSeconds=str(timeout_seconds))
        started = time.monotonic()
        context = f"WATCH {path} from {resource_version}"
        try:
            response = self._pool.request(
                "GET", self._url(path, query), headers=self._headers(None),
                timeout=urllib3.Timeout(connect=10.0, read=timeout_seconds + WATCH_READ_SLACK),
                retries=urllib3.Retry(total=1, connect=1, read=0, status=0, other=0,
                                      redirect=0, raise_on_status=False),
                preload_content=False, redirect=False)
        except HTTPError as exc:
            self._observe("GET", path, True, 0, started)
            raise TransportError(str(exc), context) from exc
        self._observe("GET", path, True, response.status, started)
        if response.status >= 400:
            try:
                raise ApiError.from_status(response.status, response.read(), context)
            finally:
                response.release_conn()
        return WatchStream(response, context)

    # -- discovery ---------------------------------------------------------------------

    def resource_for(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) of a kind, from API discovery (cached; refreshed once when the
        kind is unknown, e.g. for a CRD installed meanwhile)."""
        with self._discovery_lock:
            known = self._discovery.get(api_version, {})
        if kind not in known:
            base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            listing = self.request("GET", base)
            known = {r["kind"]: (r["name"], bool(r.get("namespaced")))
                     for r in listing.get("resources", []) if "/" not in r.get("name", "/")}
            with self._discovery_lock:
                self._discovery[api_version] = known
        if kind not in known:
            raise ApiError(404, "NotFound", f"the apiserver serves no kind {kind!r} in "
                                            f"{api_version}; install its CRD or fix apiVersion")
        return known[kind]

    # -- internals ---------------------------------------------------------------------

    def _timeout(self, timeout: float | None, retry: bool) -> urllib3.Timeout:
        seconds = timeout or self.timeout
        if not retry:
            return urllib3.Timeout(total=seconds)
        return urllib3.Timeout(connect=min(10.0, seconds), read=seconds)

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        if not path.startswith("/"):
            raise ValueError(f"path {path!r} must start with '/'")
        return f"{self._base}{path}?{urlencode(params)}" if params else f"{self._base}{path}"

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": JSON, "User-Agent": self._user_agent}
        if content_type:
            headers["Content-Type"] = content_type
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _observe(self, method: str, path: str, watch: bool, status: int, started: float) -> None:
        observer = self.observer
        if observer is None:
            return
        info = parse_path(path)
        try:
            observer(verb_of(method, info, watch), resource_label(info), status,
                     time.monotonic() - started)
        except Exception:  # noqa: BLE001 - metrics must never break a request
            pass


class WatchStream(Iterator[dict[str, Any]]):
    """The events of one watch connection (see KubeClient.watch)."""

    def __init__(self, response: urllib3.BaseHTTPResponse, context: str) -> None:
        self._response = response
        self._context = context
        self._closed = threading.Event()
        self._events = self._read()

    def __next__(self) -> dict[str, Any]:
        return next(self._events)

    def close(self) -> None:
        """Ends the stream; safe from any thread (it shuts the socket down under the reader)."""
        if self._closed.is_set():
            return
        self._closed.set()
        shutdown = getattr(self._response, "shutdown", None)
        if shutdown is not None:
            try:
                shutdown()
            except OSError:
                pass

    def _read(self) -> Iterator[dict[str, Any]]:
        pending = b""
        clean = False
        try:
            for chunk in self._response.stream(2 ** 16):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield self._event(line)
                if self._closed.is_set():
                    return
            if pending.strip():
                yield self._event(pending)
            clean = True
        except (HTTPError, OSError, ValueError) as exc:
            if self._closed.is_set():
                return
            raise TransportError(f"watch stream broke: {exc}", self._context) from exc
        finally:
            if clean and not self._closed.is_set():
                self._response.release_conn()
            else:
                self._response.close()

    def _event(self, line: bytes) -> dict[str, Any]:
        event = json.loads(line)
        if not isinstance(event, dict):
            raise TransportError(f"not a watch event: {line[:200]!r}", self._context)
        if event.get("type") == "ERROR":
            status = event.get("object") or {}
            code = status.get("code") if isinstance(status, dict) else None
            raise ApiError.from_status(code if isinstance(code, int) else 500, status,
                                       self._context)
        return event


def _socket_options() -> list[tuple[int, int, int]]:
    """TCP keepalive, so a dead apiserver behind a silent network is noticed in about a minute
    instead of at the watch read timeout."""
    options = list(urllib3.connection.HTTPConnection.default_socket_options)
    options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    return options
