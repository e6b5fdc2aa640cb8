"""The pure rules of Lease-based leader election (coordination.k8s.io/v1), after client-go.

Expiry is never judged by comparing our clock with the holder's renewTime: a candidate notes
the local (monotonic) time at which it last saw the lease record change, and considers the
lease expired once leaseDurationSeconds have passed since then without a change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

ACQUIRE, RENEW, WAIT = "acquire", "renew", "wait"


@dataclass(frozen=True)
class LeaseRecord:
    holder: str
    lease_duration_seconds: int
    acquire_time: str | None
    renew_time: str | None
    transitions: int

    @classmethod
    def from_lease(cls, lease: dict[str, Any]) -> LeaseRecord:
        spec = lease.get("spec") or {}
        return cls(holder=str(spec.get("holderIdentity") or ""),
                   lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
                   acquire_time=spec.get("acquireTime"), renew_time=spec.get("renewTime"),
                   transitions=int(spec.get("leaseTransitions") or 0))

    def spec(self) -> dict[str, Any]:
        return {"holderIdentity": self.holder,
                "leaseDurationSeconds": self.lease_duration_seconds,
                "acquireTime": self.acquire_time, "renewTime": self.renew_time,
                "leaseTransitions": self.transitions}


@dataclass(frozen=True)
class Observed:
    record: LeaseRecord
    at: float              # local monotonic time at which this record was first seen


def observe(previous: Observed | None, record: LeaseRecord, now: float) -> Observed:
    """Keeps the time of the previous observation while the record stays the same."""
    if previous is not None and previous.record == record:
        return previous
    return Observed(record, now)


def decide(observed: Observed, identity: str, now: float) -> str:
    """RENEW if we hold the lease, ACQUIRE if it is free (released or expired), else WAIT."""
    record = observed.record
    if record.holder == identity:
        return RENEW
    if not record.holder:
        return ACQUIRE
    if now >= observed.at + record.lease_duration_seconds:
        return ACQUIRE
    return WAIT


def next_record(current: LeaseRecord | None, identity: str, now: str,
                lease_duration: float) -> LeaseRecord:
    """The record we write to take or keep the lease. Taking it from anyone else (also from
    nobody after a release) counts a transition, as client-go does."""
    seconds = lease_seconds(lease_duration)
    if current is not None and current.holder == identity:
        return replace(current, lease_duration_seconds=seconds, renew_time=now)
    transitions = current.transitions + 1 if current is not None else 0
    return LeaseRecord(identity, seconds, now, now, transitions)


def lease_seconds(lease_duration: float) -> int:
    """The leaseDurationSeconds written for a lease_duration (the field holds whole seconds)."""
    return max(1, round(lease_duration))


def released_record(current: LeaseRecord, now: str) -> LeaseRecord:
    """What a leader writes when it steps down, so a standby may take over at once."""
    return replace(current, holder="", lease_duration_seconds=1, acquire_time=now,
                   renew_time=now)


def holds(last_renew: float | None, now: float, renew_deadline: float) -> bool:
    """Whether a leader whose last successful renew began at last_renew may still act."""
    return last_renew is not None and now - last_renew < renew_deadline


def check_timing(lease_duration: float, renew_deadline: float, retry_period: float) -> None:
    # Standbys count the whole seconds written in the lease, so those must exceed the
    # deadline too (lease_duration 4.4 is written as 4: renew_deadline 4.2 would overlap).
    expiry = min(lease_duration, lease_seconds(lease_duration))
    if not 0 < retry_period * 1.2 < renew_deadline < expiry:
        raise ValueError(
            f"leader election timing lease_duration={lease_duration} "
            f"renew_deadline={renew_deadline} retry_period={retry_period} is unsafe: need "
            f"lease_duration > renew_deadline > 1.2 * retry_period > 0 (e.g. 15, 10, 2)")


def micro_time(moment: datetime | None = None) -> str:
    """A Kubernetes MicroTime (RFC 3339 with microseconds, UTC)."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
