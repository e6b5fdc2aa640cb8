"""The contract between the speaker and a BGP daemon (FRR today; ExaBGP or others could follow)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from baremetal_lb.health import ThreadHealth

from .model import BgpConfig


class BgpEngineError(RuntimeError):
    """The daemon refused or could not be reached; the message says which and what it said."""


@dataclass(frozen=True)
class PeerState:
    bgp_state: str                   # "Established", "Active", "Connect", ...; "Unknown" if absent
    bfd_state: str | None            # "up", "down", "init", "adminDown"; None without BFD
    established_count: int = 0       # sessions established since the daemon started
    uptime_ms: int | None = None     # of the current session, when Established
    held: bool = False               # sent nothing until its BFD session is Up

    @property
    def established(self) -> bool:
        return self.bgp_state == "Established"


class BgpEngine(Protocol):
    def apply(self, config: BgpConfig) -> None:
        """Make the daemon announce exactly `config`. Idempotent; when only announcements
        changed, sessions stay up (no reset). Raises BgpEngineError."""

    def peer_states(self) -> dict[str, PeerState]:
        """By peer name, for the peers of the last applied config."""

    def healths(self) -> list[ThreadHealth]:
        """The engine's own worker threads, for /healthz."""

    def close(self) -> None:
        """Stop using the daemon (the daemon itself and its announcements stay)."""
