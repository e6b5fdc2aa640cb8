"""The errors of the Kubernetes I/O layer."""

from __future__ import annotations

import json
from typing import Any


class ApiError(Exception):
    """The apiserver answered with an error, or could not be reached (status 0).

    status is the HTTP status code (0 for transport errors), reason the Status reason
    ("NotFound", "Conflict", "Expired", ...), message the human text of the Status body.
    """

    def __init__(self, status: int, reason: str, message: str, context: str = "") -> None:
        prefix = f"{context}: " if context else ""
        super().__init__(f"{prefix}{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.context = context

    @classmethod
    def from_status(cls, status: int, body: bytes | str | dict[str, Any] | None,
                    context: str = "") -> ApiError:
        """Builds the error from a Kubernetes Status body (or whatever came instead)."""
        parsed: Any = body
        if isinstance(body, (bytes, str)):
            try:
                parsed = json.loads(body)
            except ValueError:
                text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
                parsed = {"message": text.strip()[:500]}
        if not isinstance(parsed, dict):
            parsed = {}
        code = parsed.get("code")
        if isinstance(code, int) and code and not status:
            status = code
        reason = str(parsed.get("reason") or _DEFAULT_REASONS.get(status, "Unknown"))
        return cls(status, reason, str(parsed.get("message") or ""), context)


class TransportError(ApiError):
    """The apiserver could not be reached or the connection broke (status 0)."""

    def __init__(self, message: str, context: str = "") -> None:
        super().__init__(0, "ConnectionError", message, context)


class KubeConfigError(ValueError):
    """A kubeconfig or the in-cluster environment cannot be used; the message says how to fix it."""


_DEFAULT_REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType",
    422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
    504: "Timeout",
}
