"""Who may read /metrics: a bearer token checked against the apiserver, as kube-rbac-proxy
(and the apiserver's delegated auth) does.

TokenReview says whose token it is; a SubjectAccessReview then asks whether that user may
`get` the non-resource URL /metrics (RBAC: a ClusterRole with nonResourceURLs ["/metrics"],
verbs ["get"], bound to e.g. Prometheus' ServiceAccount). The answer is cached for a short
time, keyed by a hash of the token (the token itself is kept nowhere and never logged), so a
scrape every few seconds costs the apiserver two requests a minute.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .client import KubeClient
from .errors import ApiError
from .resources import SUBJECT_ACCESS_REVIEWS, TOKEN_REVIEWS

log = logging.getLogger(__name__)
ALLOWED_TTL = 60.0
DENIED_TTL = 10.0
CACHE_SIZE = 256
REVIEW_TIMEOUT = 5.0


class TokenAuthorizer:
    """`check(token)` -> (HTTP status, reason): 200 allowed, 401 not a valid token, 403 valid
    but not allowed, 503 the apiserver could not tell (not cached)."""

    def __init__(self, client: KubeClient, *, path: str = "/metrics", verb: str = "get",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client, self._path, self._verb, self._clock = client, path, verb, clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, int, str]] = OrderedDict()

    def check(self, token: str) -> tuple[int, str]:
        if not token:
            return 401, "a bearer token is required"
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] > now:
                self._cache.move_to_end(key)
                return cached[1], cached[2]
        try:
            code, reason = self._review(token)
        except ApiError as exc:
            log.warning("cannot check a metrics client's token: %s", exc)
            return 503, "the token could not be checked now"
        with self._lock:
            self._cache[key] = (now + (ALLOWED_TTL if code == 200 else DENIED_TTL), code, reason)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return code, reason

    def _review(self, token: str) -> tuple[int, str]:
        review = self._client.request("POST", TOKEN_REVIEWS.path(), timeout=REVIEW_TIMEOUT, body={
            "apiVersion": TOKEN_REVIEWS.api_version, "kind": TOKEN_REVIEWS.kind,
            "spec": {"token": token}})
        status = review.get("status") or {}
        if not status.get("authenticated"):
            return 401, "the token is not valid"
        user: dict[str, Any] = status.get("user") or {}
        spec: dict[str, Any] = {"user": user.get("username", ""),
                                "groups": user.get("groups") or [],
                                "nonResourceAttributes": {"path": self._path,
                                                          "verb": self._verb}}
        if user.get("uid"):
            spec["uid"] = user["uid"]
        if user.get("extra"):
            spec["extra"] = user["extra"]
        access = self._client.request(
            "POST", SUBJECT_ACCESS_REVIEWS.path(), timeout=REVIEW_TIMEOUT,
            body={"apiVersion": SUBJECT_ACCESS_REVIEWS.api_version,
                  "kind": SUBJECT_ACCESS_REVIEWS.kind, "spec": spec})
        if (access.get("status") or {}).get("allowed"):
            return 200, "allowed"
        return 403, f"{user.get('username', 'this user')} may not {self._verb} {self._path}"
