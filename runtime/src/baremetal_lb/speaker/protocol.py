"""The one interface between the speaker's loop and the ways it announces (layer 2, BGP).

MetalLB's speaker has a `Protocol` (SetConfig, ShouldAnnounce, SetBalancer, DeleteBalancer,
...) called per Service. This speaker recomputes everything at each reconcile (a few ms for
1,000 IPs), so the smallest equivalent is one call with the whole picture: `announce(inputs)`
gets the Config and every Balancer and makes the node announce exactly what this protocol
should (deciding "should announce", then setting and deleting balancers); what it returns are
the problems only this node sees. The loop never asks which protocol it is talking to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from baremetal_lb.config import Problem
from baremetal_lb.health import ThreadHealth
from baremetal_lb.metrics import SpeakerMetrics
from baremetal_lb.net.links import Link

from .balancers import Inputs


@dataclass(frozen=True)
class Context:
    """What a protocol may use of the speaker around it."""
    node: str
    metrics: SpeakerMetrics
    # (Service key, Normal|Warning, reason, message): an Event on the Service, if it exists.
    event: Callable[[str, str, str, str], None]
    service: Callable[[str], Mapping[str, Any] | None]    # the Service by key, from the cache
    trigger: Callable[[], None]                           # ask for a reconcile soon


class AnnounceProtocol(Protocol):
    name: str                        # "layer2" or "bgp": metrics and events say it
    watches: tuple[str, ...]         # resources it reads besides pools (speaker.WATCHABLE)

    def start(self, links: Mapping[str, Link]) -> None:
        """Called once, when the caches are synced, with the node's links."""

    def announce(self, inputs: Inputs) -> Sequence[Problem]:
        """Announce exactly what `inputs` asks of this protocol; returns this node's own
        configuration problems. Called from the reconcile thread only."""

    def links_changed(self, links: Mapping[str, Link]) -> None:
        """The node's links changed (any thread; keep it short)."""

    def ready(self) -> tuple[bool, str]:
        """Whether announcing may be trusted yet, and why not."""

    def healths(self) -> Sequence[ThreadHealth]:
        """The worker threads it runs, for /healthz (a dead or failing one fails it)."""

    def announcing(self) -> Mapping[str, list[str]]:
        """What is announced where, for /readyz (interface -> IPs); {} when not applicable."""

    def stop(self) -> None:
        """Hand over and go quiet (SIGTERM)."""
