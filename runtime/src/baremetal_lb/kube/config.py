"""Where the apiserver is and how to authenticate: kubeconfig files and the in-cluster account.

Parsing is pure (`settings_from_kubeconfig`); reading files and building the TLS context are
separate so the variants of kubeconfig can be tested without a cluster.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import KubeConfigError

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# Bound service-account tokens rotate; client-go re-reads the file about every minute.
TOKEN_REREAD_SECONDS = 60.0


@dataclass(frozen=True)
class ClusterSettings:
    """Everything needed to talk to one apiserver. PEM material is either inline or a path."""

    server: str
    ca_pem: bytes | None = None
    ca_file: str | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    cert_pem: bytes | None = None
    cert_file: str | None = None
    key_pem: bytes | None = None
    key_file: str | None = None
    token: str | None = None
    token_file: str | None = None
    source: str = ""            # where the settings came from, for error messages


def read_kubeconfigs(paths: Sequence[str]) -> dict[str, Any]:
    """Reads and merges kubeconfig files like kubectl does for a $KUBECONFIG list: the first file
    that names a cluster, user or context wins, and so does the first current-context. Relative
    paths inside each file are made absolute against that file's directory."""
    docs: list[tuple[dict[str, Any], str]] = []
    if len(paths) > 1:
        # As kubectl does for a $KUBECONFIG list: files that do not exist are skipped.
        paths = [p for p in paths if os.path.exists(p)] or list(paths[:1])
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                doc = yaml.safe_load(handle) or {}
        except OSError as exc:
            raise KubeConfigError(f"kubeconfig {path}: cannot read it ({exc.strerror}); "
                                  f"pass an existing file with --kubeconfig or $KUBECONFIG") from exc
        except yaml.YAMLError as exc:
            raise KubeConfigError(f"kubeconfig {path}: not valid YAML ({exc})") from exc
        if not isinstance(doc, dict):
            raise KubeConfigError(f"kubeconfig {path}: expected a mapping at the top level")
        docs.append((doc, os.path.dirname(os.path.abspath(path))))
    return merge_kubeconfigs(docs)


def merge_kubeconfigs(docs: Sequence[tuple[Mapping[str, Any], str]]) -> dict[str, Any]:
    """Merges parsed kubeconfigs given with the directory each came from (see read_kubeconfigs)."""
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
    for doc, base_dir in docs:
        if "current-context" not in merged and doc.get("current-context"):
            merged["current-context"] = doc["current-context"]
        for section, inner in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            known = {entry.get("name") for entry in merged[section]}
            for entry in doc.get(section) or []:
                if not isinstance(entry, dict) or entry.get("name") in known:
                    continue
                body = dict(entry.get(inner) or {})
                for key in _PATH_KEYS:
                    if isinstance(body.get(key), str) and body[key]:
                        body[key] = os.path.join(base_dir, os.path.expanduser(body[key]))
                merged[section].append({"name": entry.get("name"), inner: body})
                known.add(entry.get("name"))
    return merged


_PATH_KEYS = ("certificate-authority", "client-certificate", "client-key", "tokenFile")


def settings_from_kubeconfig(doc: Mapping[str, Any], context: str | None = None,
                             source: str = "kubeconfig") -> ClusterSettings:
    """The settings of one context (default: current-context) of a merged kubeconfig."""
    name = context or doc.get("current-context")
    if not name:
        raise KubeConfigError(f"{source}: no context given and no current-context set; "
                              f"pass a context name or set current-context")
    ctx = _named(doc, "contexts", "context", name, source)
    cluster_name = ctx.get("cluster")
    if not cluster_name:
        raise KubeConfigError(f"{source}: context {name!r} names no cluster; add context.cluster")
    cluster = _named(doc, "clusters", "cluster", cluster_name, source)
    user_name = ctx.get("user")
    user = _named(doc, "users", "user", user_name, source) if user_name else {}
    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise KubeConfigError(f"{source}: cluster {cluster_name!r} server {server!r} is not an "
                              f"http(s) URL; set clusters[].cluster.server to https://HOST:PORT")
    for unsupported in ("exec", "auth-provider"):
        if user.get(unsupported):
            raise KubeConfigError(
                f"{source}: user {user_name!r} uses {unsupported!r}, which baremetal-lb does not "
                f"run; use a kubeconfig with a client certificate, token or tokenFile")
    where = f"{source} cluster {cluster_name!r}"
    who = f"{source} user {user_name!r}"
    return ClusterSettings(
        server=server.rstrip("/"),
        ca_pem=_data(cluster, "certificate-authority-data", where),
        ca_file=cluster.get("certificate-authority") or None,
        insecure=bool(cluster.get("insecure-skip-tls-verify", False)),
        tls_server_name=cluster.get("tls-server-name") or None,
        cert_pem=_data(user, "client-certificate-data", who),
        cert_file=user.get("client-certificate") or None,
        key_pem=_data(user, "client-key-data", who),
        key_file=user.get("client-key") or None,
        token=user.get("token") or None,
        token_file=user.get("tokenFile") or None,
        source=source,
    )


def in_cluster_settings(env: Mapping[str, str] | None = None,
                        account_dir: str = SERVICE_ACCOUNT_DIR) -> ClusterSettings:
    """The settings of a Pod's service account (KUBERNETES_SERVICE_HOST/PORT and the mounted
    token and CA)."""
    env = os.environ if env is None else env
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise KubeConfigError("in-cluster: KUBERNETES_SERVICE_HOST/PORT are not set; run inside "
                              "a Pod or pass --kubeconfig")
    token_file = os.path.join(account_dir, "token")
    if not os.path.exists(token_file):
        raise KubeConfigError(f"in-cluster: {token_file} does not exist; mount the service "
                              f"account token (automountServiceAccountToken: true)")
    if ":" in host:
        host = f"[{host}]"
    return ClusterSettings(server=f"https://{host}:{port}",
                           ca_file=os.path.join(account_dir, "ca.crt"),
                           token_file=token_file, source="in-cluster")


def _named(doc: Mapping[str, Any], section: str, inner: str, name: str,
           source: str) -> dict[str, Any]:
    for entry in doc.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            body = entry.get(inner) or {}
            if not isinstance(body, dict):
                raise KubeConfigError(f"{source}: {section} entry {name!r} is not a mapping")
            return body
    raise KubeConfigError(f"{source}: no {inner} named {name!r} in {section}; "
                          f"fix the name or add the entry")


def _data(section: Mapping[str, Any], key: str, where: str) -> bytes | None:
    value = section.get(key)
    if not value:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KubeConfigError(f"{where}: {key} is not base64 ({exc}); "
                              f"encode the PEM with base64 -w0") from exc


def ssl_context(settings: ClusterSettings) -> ssl.SSLContext:
    """A client TLS context: the cluster CA (or no verification if asked) and the client
    certificate. Inline key material goes through private temporary files, removed at once,
    because ssl can load a certificate chain only from paths."""
    # With a cluster CA only that CA is trusted (as kubectl does); the system store only
    # when the kubeconfig names none.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif settings.ca_pem or settings.ca_file:
        try:
            if settings.ca_pem:
                ctx.load_verify_locations(cadata=settings.ca_pem.decode("ascii", "replace"))
            else:
                ctx.load_verify_locations(cafile=settings.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise KubeConfigError(f"{settings.source}: cannot load the cluster CA ({exc}); "
                                  f"fix certificate-authority(-data)") from exc
    else:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
    has_cert = bool(settings.cert_pem or settings.cert_file)
    has_key = bool(settings.key_pem or settings.key_file)
    if has_cert != has_key:
        raise KubeConfigError(f"{settings.source}: a client certificate needs its key and the "
                              f"other way round; set both client-certificate and client-key")
    if has_cert:
        with tempfile.TemporaryDirectory(prefix="baremetal-lb-tls-") as private:
            os.chmod(private, 0o700)
            cert = settings.cert_file or _write_private(private, "tls.crt", settings.cert_pem)
            key = settings.key_file or _write_private(private, "tls.key", settings.key_pem)
            try:
                ctx.load_cert_chain(cert, key)
            except (OSError, ssl.SSLError) as exc:
                raise KubeConfigError(f"{settings.source}: cannot load the client certificate "
                                      f"and key ({exc}); check client-certificate(-data) and "
                                      f"client-key(-data)") from exc
    return ctx


def _write_private(directory: str, name: str, data: bytes | None) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data or b"")
    return path


class TokenSource:
    """The bearer token: fixed, or read from a file and re-read periodically (rotation)."""

    def __init__(self, token: str | None, token_file: str | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._token = token
        self._file = token_file
        self._clock = clock
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        if self._token is not None and self._file is None:
            return self._token
        if self._file is None:
            return None
        with self._lock:
            if self._clock() - self._read_at >= TOKEN_REREAD_SECONDS or self._token is None:
                try:
                    with open(self._file, encoding="utf-8") as handle:
                        self._token = handle.read().strip()
                    self._read_at = self._clock()
                except OSError as exc:
                    if self._token is None:
                        raise KubeConfigError(f"token file {self._file}: cannot read it "
                                              f"({exc.strerror}); check tokenFile") from exc
            return self._token
