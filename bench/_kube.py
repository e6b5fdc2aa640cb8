"""A small Kubernetes API client for the benches: JSON requests and watches over urllib3.

The benches time the project's controller, so they talk to the apiserver with their own few
lines instead of the package under test (a bug there must not skew both sides of a figure).
Only client-certificate kubeconfigs (the lab's admin one) are supported.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import urllib3
import yaml


class ApiError(Exception):
    def __init__(self, status: int, method: str, path: str, body: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body[:300]}")
        self.status = status


class Kube:
    def __init__(self, kubeconfig: str, pool_size: int = 64) -> None:
        cfg = yaml.safe_load(Path(kubeconfig).read_text())
        ctx_name = cfg.get("current-context") or cfg["contexts"][0]["name"]
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
        self.server = cluster["server"].rstrip("/")
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-kube-")
        cert = self._pem(user, "client-certificate", "client.crt")
        key = self._pem(user, "client-key", "client.key")
        ca = self._pem(cluster, "certificate-authority", "ca.crt")
        ctx_ssl = ssl.create_default_context(cafile=ca)
        ctx_ssl.load_cert_chain(cert, key)
        # The lab's apiserver may be restarted under us (other engineers' resilience tests):
        # refused connections are retried for ~45 s; a request that reached it never is.
        retry = urllib3.Retry(total=None, connect=12, read=0, status=0, other=0, redirect=0,
                              backoff_factor=0.5, backoff_max=5.0)
        self.http = urllib3.PoolManager(maxsize=pool_size, block=True, ssl_context=ctx_ssl,
                                        retries=retry)

    def _pem(self, section: Mapping[str, Any], field: str, name: str) -> str:
        if section.get(field):
            return str(section[field])
        data = base64.b64decode(section[f"{field}-data"])
        path = os.path.join(self._tmp.name, name)
        Path(path).write_bytes(data)
        return path

    def request(self, method: str, path: str, body: Any = None, *,
                params: Mapping[str, str] | None = None,
                content_type: str = "application/json", ok: tuple[int, ...] = (),
                timeout: float = 60.0) -> dict[str, Any]:
        url = self.server + path
        if params:
            url += "?" + urlencode(params)
        data = None if body is None else (body if isinstance(body, (bytes, str))
                                          else json.dumps(body))
        resp = self.http.request(method, url, body=data,
                                 headers={"Content-Type": content_type,
                                          "Accept": "application/json"},
                                 timeout=timeout)
        if resp.status >= 300 and resp.status not in ok:
            raise ApiError(resp.status, method, path, resp.data.decode(errors="replace"))
        if not resp.data:
            return {}
        try:
            out: dict[str, Any] = json.loads(resp.data)
        except ValueError:
            return {"raw": resp.data.decode(errors="replace")}
        return out

    def text(self, path: str) -> str:
        resp = self.http.request("GET", self.server + path, timeout=60.0)
        if resp.status >= 300:
            raise ApiError(resp.status, "GET", path, resp.data.decode(errors="replace"))
        return str(resp.data.decode())

    def apply(self, obj: Mapping[str, Any], path: str, manager: str) -> dict[str, Any]:
        """Server-side apply, forced: the bench owns what it applies."""
        return self.request("PATCH", path, obj, params={"fieldManager": manager, "force": "true"},
                            content_type="application/apply-patch+yaml")

    def watch(self, path: str, resource_version: str, timeout_seconds: int = 3600,
              stop: threading.Event | None = None) -> Iterator[dict[str, Any]]:
        """Yield watch events until the server closes the stream (after timeout_seconds) or
        `stop` is set (checked between reads: callers loop with short timeouts)."""
        params = {"watch": "1", "resourceVersion": resource_version,
                  "timeoutSeconds": str(timeout_seconds), "allowWatchBookmarks": "true"}
        url = self.server + path + "?" + urlencode(params)
        resp = self.http.request("GET", url, preload_content=False,
                                 timeout=urllib3.Timeout(connect=10, read=timeout_seconds + 30))
        try:
            if resp.status >= 300:
                raise ApiError(resp.status, "WATCH", path, resp.read().decode(errors="replace"))
            buf = b""
            for chunk in resp.stream(65536):
                if stop is not None and stop.is_set():
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError, OSError):
            if stop is None or not stop.is_set():
                raise
        finally:
            resp.release_conn()

    def close(self) -> None:
        self.http.clear()
        self._tmp.cleanup()
