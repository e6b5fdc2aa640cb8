"""Why an allocation failed, as a stable machine-readable reason plus a human message.

The reason is meant for Kubernetes Events and metrics labels; the message names the
Service, the pool or address involved, and what to change.
"""

REASONS = (
    "NoMatchingPool",
    "PoolExhausted",
    "RequestedIPTaken",
    "RequestedIPNotInPool",
    "UnknownPool",
    "PoolNotAllowed",
    "IPFamilyUnavailable",
    "InvalidRequest",
)


class AllocationError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown allocation failure reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"AllocationError({self.reason!r}, {self.message!r})"
