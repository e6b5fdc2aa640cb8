"""BGP: every eligible node announces its Service IPs to its peers. The plan (the Config and
the Balancers turned into this node's `BgpConfig`) is pure; `Bgp` is the protocol that hands
it to a BgpEngine (FRR today, see baremetal_lb.bgp.engine).

Every eligible node announces (ECMP at the router), unlike layer 2's single owner. A node is
eligible for an IP when it is Ready and the Service has a ready endpoint: on this node for
externalTrafficPolicy Local, anywhere for Cluster.

MetalLB's BGP semantics: a BGPPeer applies to the nodes its spec.nodeSelectors select (none:
every node). A BGPAdvertisement of the IP's pool applies when it selects this node; it reaches
the peers in spec.peers (none: every peer of the node) and announces the /32 (/128), or the
covering prefix of its aggregation length. When several advertisements give one prefix to one
peer, communities add up and the highest local preference wins (bgp.render). Problems of this
node alone (two selected peers with one address, different router IDs) are returned with the
Config's own problems.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_network
from typing import Any

from baremetal_lb.bgp.engine import BgpEngine, BgpEngineError
from baremetal_lb.bgp.model import Announcement, BgpConfig, IPAddress, Peer
from baremetal_lb.config import Config, ObjectRef, Problem, config_for, sort_problems
from baremetal_lb.health import ThreadHealth
from baremetal_lb.kube.backoff import Backoff
from baremetal_lb.net.links import Link

from .balancers import EXCLUDE_LABEL, Inputs
from .protocol import Context

log = logging.getLogger(__name__)
# A refused apply is retried after RETRY_SECONDS, doubling up to RETRY_CAP_SECONDS while the
# daemon keeps refusing the same config (each try may run frr-reload.py); a new config is
# tried at once.
RETRY_SECONDS = 2.0
RETRY_CAP_SECONDS = 60.0


@dataclass(frozen=True)
class ServiceIP:
    address: IPAddress
    pool: str
    eligible: bool = True       # False: externalTrafficPolicy Local, no ready endpoint here


@dataclass(frozen=True)
class NodeBgp:
    config: BgpConfig
    problems: tuple[str, ...] = ()


def node_bgp(config: Config, node: str, node_labels: Mapping[str, str], ips: Iterable[ServiceIP],
             node_address: IPv4Address | None = None) -> tuple[BgpConfig, list[Problem]]:
    """This node's BgpConfig and the problems of this node alone (see the module docstring)."""
    problems: list[Problem] = []
    peers = _node_peers(config, node_labels, problems)
    if not peers:
        return BgpConfig(router_id=node_address, asn=0), problems
    announcements: set[Announcement] = set()
    if EXCLUDE_LABEL not in node_labels:
        for ip in ips:
            pool = config.pools.get(ip.pool)
            if not ip.eligible or pool is None:
                continue
            for advertisement in pool.bgp:
                if not advertisement.selects_node(node_labels):
                    continue
                wanted = advertisement.peers
                reached = frozenset(p.name for p in peers if p.name in wanted) if wanted else None
                if reached is not None and not reached:
                    continue
                prefix = ip_network(f"{ip.address}/{advertisement.length(ip.address.version)}",
                                    strict=False)
                announcements.add(Announcement(prefix=prefix,
                                               communities=advertisement.communities,
                                               local_pref=advertisement.local_pref,
                                               peers=reached))
    router_id = _router_id(node, peers, node_address, problems)
    bgp = BgpConfig(router_id=router_id, asn=min(p.my_asn for p in peers), peers=tuple(peers),
                    announcements=tuple(sorted(announcements, key=_announcement_order)))
    return bgp, problems


def bgp_config_for_node(
    node: str,
    node_labels: Mapping[str, str],
    *,
    peers: Iterable[Mapping[str, Any]],
    advertisements: Iterable[Mapping[str, Any]],
    pools: Iterable[Mapping[str, Any]],
    ips: Iterable[ServiceIP],
    bfd_profiles: Iterable[Mapping[str, Any]] = (),
    communities: Iterable[Mapping[str, Any]] = (),
    passwords: Mapping[str, str] | None = None,
    node_address: IPv4Address | None = None,
) -> NodeBgp:
    """metallb.io objects -> one node's BgpConfig, with the messages of every problem (the
    Config's and the node's). For callers that hold objects rather than a Config (the lab)."""
    config = config_for(pools=pools, bgp_advertisements=advertisements, peers=peers,
                        bfd_profiles=bfd_profiles, communities=communities, passwords=passwords)
    bgp, problems = node_bgp(config, node, node_labels, ips, node_address)
    return NodeBgp(bgp, tuple(p.message for p in sort_problems([*config.problems, *problems])))


def _node_peers(config: Config, node_labels: Mapping[str, str],
                problems: list[Problem]) -> list[Peer]:
    found: list[Peer] = []
    for entry in config.peers:
        if not entry.selects_node(node_labels):
            continue
        peer = entry.peer
        clash = next((p for p in found if p.address == peer.address), None)
        if clash is not None:
            problems.append(entry.ref.problem(
                f"{entry.ref}: spec.peerAddress {peer.address} is already the address of "
                f"BGPPeer {clash.name} on this node; keep one of them"))
            continue
        found.append(peer)
    return found


def _router_id(node: str, peers: list[Peer], fallback: IPv4Address | None,
               problems: list[Problem]) -> IPv4Address | None:
    ids = sorted({p.router_id for p in peers if p.router_id is not None})
    if len(ids) > 1:
        problems.append(ObjectRef("Node", node, api_version="v1").problem(
            f"BGPPeers of node {node} ask for different router IDs "
            f"({', '.join(map(str, ids))}); using {ids[0]}"))
    return ids[0] if ids else fallback


def _announcement_order(a: Announcement) -> tuple[int, int, int, tuple[str, ...], str]:
    return (a.prefix.version, int(a.prefix.network_address), a.prefix.prefixlen, a.communities,
            repr(sorted(a.peers)) if a.peers is not None else "")


def service_ips(inputs: Inputs) -> list[ServiceIP]:
    """The Balancers as this node sees them: eligible when the node is Ready and may serve."""
    me = inputs.me()
    return [ServiceIP(ip, b.pool.name, me.ready and bool(b.serving((me.name,))))
            for ip, b in inputs.balancers.items()]


def node_address(links: Mapping[str, Link]) -> IPv4Address | None:
    """The router ID when no BGPPeer sets one: the first IPv4 address of a non-loopback link."""
    return next((a.ip for link in links.values() if not link.loopback for a in link.ipv4), None)


class Bgp:
    """The BGP protocol: this node's BgpConfig, applied through the engine when it changes
    (retried every RETRY_SECONDS while the daemon refuses), and a nodeAssigned Event per
    Service when its /32 (/128) starts being announced."""

    name = "bgp"
    # The password Secrets BGPPeers name are read by name (speaker/secrets.py).
    watches: tuple[str, ...] = ("bgppeers", "bgpadvertisements", "bfdprofiles", "communities")

    def __init__(self, engine: BgpEngine, context: Context, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.context = context
        self._clock = clock
        self._applied: BgpConfig | None = None
        self._failed = False
        self._refused: BgpConfig | None = None     # the config the engine last refused
        self._retry_at = 0.0
        self._backoff = Backoff(RETRY_SECONDS, max(RETRY_SECONDS, RETRY_CAP_SECONDS))

    def start(self, links: Mapping[str, Link]) -> None:
        pass

    def ready(self) -> tuple[bool, str]:
        return True, "ready"

    def healths(self) -> list[ThreadHealth]:
        return list(self.engine.healths())

    def announcing(self) -> dict[str, list[str]]:
        return {}

    def links_changed(self, links: Mapping[str, Link]) -> None:
        pass

    def announce(self, inputs: Inputs) -> Sequence[Problem]:
        me = inputs.me()
        config, problems = node_bgp(inputs.config, me.name, me.labels, service_ips(inputs),
                                    node_address(inputs.links))
        if config == self._applied and not self._failed:
            return problems
        if self._failed and config == self._refused and self._clock() < self._retry_at:
            return problems
        try:
            self.engine.apply(config)
        except BgpEngineError as exc:
            delay = self._backoff.next() if config == self._refused else self._restart_backoff()
            log.error("BGP engine: %s (retrying in %.0fs)", exc, delay)
            self._failed, self._refused, self._retry_at = True, config, self._clock() + delay
            timer = threading.Timer(delay, self.context.trigger)
            timer.daemon = True
            timer.start()
            return problems
        self._backoff.reset()
        self._refused = None
        before = {a.prefix for a in self._applied.announcements} if self._applied else set()
        now = {a.prefix for a in config.announcements}
        self._applied, self._failed = config, False
        self.context.metrics.announced.labels(protocol="bgp").set(len(now))
        for prefix in sorted(now - before, key=str):
            log.info("BGP: announcing %s", prefix)
            balancer = inputs.balancers.get(prefix.network_address) \
                if prefix.prefixlen == prefix.max_prefixlen else None
            for key in balancer.services_on(me.name) if balancer else ():
                self.context.event(key, "Normal", "nodeAssigned",
                                   f"announcing {prefix} from node {me.name} with protocol bgp")
        for prefix in sorted(before - now, key=str):
            log.info("BGP: withdrew %s", prefix)
        return problems

    def _restart_backoff(self) -> float:
        self._backoff.reset()
        return self._backoff.next()

    def stop(self) -> None:
        self.engine.close()
