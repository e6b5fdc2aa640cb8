"""Layer 2: one node answers ARP/NDP for each Service IP. The plan is pure; `Layer2` is the
protocol that carries it out (heartbeats, the ARP/NDP responder, ServiceL2Status).

For each Balancer (a Service IP with its pool and backends, see balancers.py):
1. the L2Advertisements of its pool select, through nodeSelectors, the nodes;
2. nodes that may announce: selected by such an advertisement, Ready, without the exclusion
   label, and eligible for the IP (a ready endpoint: on the node itself with
   externalTrafficPolicy Local, anywhere with Cluster). Services sharing an IP add up;
3. the LAN: the local interface whose subnet holds the IP (and that the advertisements'
   `interfaces` allow). The other speakers on that LAN are the live heartbeat members there,
   so a node that is not on the IP's VLAN never becomes a candidate;
4. the owner: the HRW winner among (2) and (3); every speaker computes the same owner.

Failure model (see docs/speaker.md): a speaker is alive for its peers while its authenticated
heartbeats arrive on the LAN (hold 350 ms by default). A dead node, a killed speaker or a cut
link therefore moves its IPs within the hold time plus one reconcile; a SIGTERM hands over at
once (a LEAVING heartbeat, then a grace period during which the old owner still answers while
the new one sends gratuitous ARP / unsolicited NA). A partition of the LAN in two halves makes
each half elect its own owner: clients in each half reach a node of their half, which is the
best layer 2 can do; both owners see the other's replies as conflicts and report them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from baremetal_lb.allocator import IPAddress
from baremetal_lb.config import Problem
from baremetal_lb.health import ThreadHealth
from baremetal_lb.kube import KubeClient
from baremetal_lb.layer2.announcer import Layer2Announcer
from baremetal_lb.layer2.state import AnnounceConfig, Conflict
from baremetal_lb.liveness.service import HeartbeatConfig, HeartbeatService
from baremetal_lb.net.links import Link, select_links

from .balancers import Inputs
from .ownership import owner as hrw_owner
from .protocol import Context
from .status import StatusWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """One IP to announce in layer 2 and who may do it."""
    ip: IPAddress
    services: tuple[str, ...]
    pool: str
    eligible: frozenset[str]           # nodes Kubernetes allows (steps 1-2)
    interface: str | None               # our interface for it (step 3); None: not on its LAN


def layer2_targets(inputs: Inputs) -> dict[IPAddress, Target]:
    announcers = [n for n in inputs.nodes if n.may_announce]
    targets = {}
    for ip, balancer in inputs.balancers.items():
        advertisements = balancer.pool.l2
        selected = {n.name for n in announcers
                    if any(a.selects_node(n.labels) for a in advertisements)}
        allowed = {i for a in advertisements for i in a.interfaces}
        targets[ip] = Target(ip, balancer.services, balancer.pool.name,
                             balancer.serving(selected),
                             _interface_for(ip, inputs.links, allowed))
    return targets


def owners(targets: Mapping[IPAddress, Target],
           alive_on: Mapping[str, frozenset[str]]) -> dict[IPAddress, str | None]:
    """The announcing node of every target as this speaker sees it. `alive_on[interface]` are
    the speakers live on that LAN (ourselves included while we are ready)."""
    result: dict[IPAddress, str | None] = {}
    for ip, target in targets.items():
        if target.interface is None:
            result[ip] = None
            continue
        candidates = target.eligible & alive_on.get(target.interface, frozenset())
        result[ip] = hrw_owner(ip, candidates)
    return result


def owned(targets: Mapping[IPAddress, Target], me: str,
          owner_of: Mapping[IPAddress, str | None],
          interfaces: Iterable[str]) -> dict[str, frozenset[IPAddress]]:
    """Interface -> IPs this node announces there (every interface listed, maybe empty)."""
    result: dict[str, set[IPAddress]] = {name: set() for name in interfaces}
    for ip, node in owner_of.items():
        interface = targets[ip].interface
        if node == me and interface is not None:
            result.setdefault(interface, set()).add(ip)
    return {name: frozenset(ips) for name, ips in result.items()}


class Heartbeats(Protocol):
    def alive(self) -> frozenset[str]: ...
    def sending(self) -> bool: ...


def live_members(heartbeats: Mapping[str, Heartbeats], me: str) -> dict[str, frozenset[str]]:
    """Interface -> the speakers alive on that LAN as we hear them. Where our own heartbeats
    no longer go out (the thread died or keeps failing), peers count us dead and take our IPs
    over: we count ourselves out there too, and stop answering instead of fighting them."""
    return {name: hb.alive() if hb.sending() else hb.alive() - {me}
            for name, hb in heartbeats.items()}


def _interface_for(ip: IPAddress, links: Mapping[str, Link], allowed: set[str]) -> str | None:
    for name in sorted(links):
        link = links[name]
        if link.loopback or (allowed and name not in allowed):
            continue
        networks = link.ipv4 if ip.version == 4 else link.ipv6
        if any(ip in iface.network and not iface.ip.is_link_local for iface in networks):
            return name
    return None


# Links a container network makes on every node (bridges, veth ends, overlays, tunnels): never
# a LAN a client sits on. Without patterns of the operator's own, the speaker leaves them out;
# a pod bridge with no pod on it has no carrier and would hold the speaker's readiness forever.
CONTAINER_LINKS = ("cni*", "veth*", "cali*", "flannel*", "cilium*", "lxc*", "docker*",
                   "kube-ipvs*", "kube-bridge", "vxlan*", "tunl*", "weave*", "genev_sys_*",
                   "nodelocaldns")


def lan_link_patterns(configured: Sequence[str]) -> list[str]:
    """The link patterns heartbeats run on: the operator's, else every link but loopback and
    the container networks' (an operator who names `cni0` gets it)."""
    if configured:
        return [*configured, "!lo"]
    return ["*", "!lo", *(f"!{pattern}" for pattern in CONTAINER_LINKS)]


def lan_readiness(lans: Mapping[str, tuple[bool, bool]]) -> tuple[bool, str]:
    """Ready once the heartbeats of every LAN whose link is up have warmed up (this node is
    among the live there). A LAN without carrier does not hold readiness: a node with one dead
    NIC of two still serves the other, and a DaemonSet rollout must not stall on it. No LAN up
    at all is not ready. `lans`: name -> (link up, warmed up)."""
    if not lans:
        return False, "heartbeats warming up on no interface yet"
    up = {name: warm for name, (link_up, warm) in lans.items() if link_up}
    if not up:
        return False, f"no LAN link up (carrier down on {sorted(lans)})"
    waiting = sorted(name for name, warm in up.items() if not warm)
    if waiting:
        return False, f"heartbeats warming up on {waiting}"
    return True, "ready"


@dataclass(frozen=True)
class Layer2Options:
    interfaces: Sequence[str] = ()            # link name patterns; empty: lan_link_patterns
    keys: Mapping[int, bytes] = field(default_factory=dict)   # heartbeat keys by id
    key_id: int = 1
    port: int = 7473
    interval: float = 0.1
    hold: float = 0.35
    handover_grace: float = 0.5


class Layer2:
    """The layer-2 protocol: heartbeats on every LAN link, the responder for the owned IPs,
    an Event and a ServiceL2Status when this node becomes an IP's owner."""

    name = "layer2"
    watches: tuple[str, ...] = ("l2advertisements",)

    def __init__(self, client: KubeClient, options: Layer2Options, context: Context) -> None:
        self.options = options
        self.context = context
        self.status = StatusWriter(client, context.node, context.metrics)
        self.announcer = Layer2Announcer(AnnounceConfig(), on_conflict=self._on_conflict,
                                         on_state=self._on_state)
        self._heartbeats: dict[str, HeartbeatService] = {}
        self._owned: dict[str, frozenset[IPAddress]] = {}
        self._targets: dict[IPAddress, Target] = {}
        self._owner_of: dict[IPAddress, str | None] = {}

    def start(self, links: Mapping[str, Link]) -> None:
        patterns = lan_link_patterns(self.options.interfaces)
        for link in select_links(links, patterns):
            if link.loopback or not (link.ipv4 or any(not a.ip.is_link_local for a in link.ipv6)):
                continue
            family = 4 if link.ipv4 else 6
            config = HeartbeatConfig(
                self.context.node, link.name, self.options.keys, self.options.key_id,
                port=self.options.port, interval=self.options.interval, hold=self.options.hold,
                family=family)
            service = HeartbeatService(config, link.mac, on_change=lambda _: self.context.trigger(),
                                       on_reject=self._on_reject)
            service.set_link(link.up, link.mac)
            service.start()
            self._heartbeats[link.name] = service
            log.info("heartbeats on %s (%s)", link.name, ", ".join(
                str(a) for a in (*link.ipv4, *link.ipv6)))
        if not self._heartbeats:
            log.error("no LAN interface matches %s: this speaker will announce nothing", patterns)

    def ready(self) -> tuple[bool, str]:
        return lan_readiness({name: (hb.link_up(), hb.ready())
                              for name, hb in self._heartbeats.items()})

    def healths(self) -> list[ThreadHealth]:
        return [*(hb.health for hb in self._heartbeats.values()), *self.announcer.healths(),
                self.status.health]

    def announcing(self) -> dict[str, list[str]]:
        return {iface: sorted(map(str, ips)) for iface, ips in self._owned.items() if ips}

    def announce(self, inputs: Inputs) -> Sequence[Problem]:
        node = self.context.node
        targets = layer2_targets(inputs)
        alive_on = live_members(self._heartbeats, node)
        owner_of = owners(targets, alive_on)
        wanted = owned(targets, node, owner_of, self._heartbeats)
        friendly: set[bytes] = set()
        for hb in self._heartbeats.values():
            friendly |= hb.peer_macs()
        self.announcer.set_friendly_macs(friendly)
        for iface, ips in wanted.items():
            before = self._owned.get(iface, frozenset())
            if ips == before:
                continue
            # An IP another speaker announced until now is taken over at once (its MAC is a
            # peer's, a probe would only cost failover time); an IP nobody announced yet is
            # probed first, so a squatter is found before we claim it.
            takeover = {ip for ip in ips - before if self._owner_of.get(ip) not in (None, node)}
            if takeover:
                self.announcer.set_owned(iface, before & ips | takeover, probe=False)
            self.announcer.set_owned(iface, ips, probe=True)
        self._report(targets, wanted)
        self._targets, self._owned, self._owner_of = targets, wanted, owner_of
        for name, members in alive_on.items():
            self.context.metrics.members.labels(interface=name).set(len(members))
        return ()

    def links_changed(self, links: Mapping[str, Link]) -> None:
        self.announcer.link_changed(links)
        for name, service in self._heartbeats.items():
            link = links.get(name)
            service.set_link(link is not None and link.up, None if link is None else link.mac)

    def stop(self) -> None:
        """Hand over first: peers hear LEAVING and take over (gratuitous ARP from the new
        owner) while this node still answers during the grace period; then go quiet."""
        for service in self._heartbeats.values():
            service.stop(leave=True)
        if any(self._owned.values()):
            time.sleep(self.options.handover_grace)
        self.announcer.close()
        self.status.stop()

    def _report(self, targets: Mapping[IPAddress, Target],
                wanted: Mapping[str, frozenset[IPAddress]]) -> None:
        before = {ip for ips in self._owned.values() for ip in ips}
        now = {ip: iface for iface, ips in wanted.items() for ip in ips}
        for ip in sorted(set(now) - before, key=str):
            log.info("announcing %s on %s", ip, now[ip])
            for key in targets[ip].services:
                self.context.event(key, "Normal", "nodeAssigned",
                                   f"announcing {ip} from node {self.context.node} on {now[ip]} "
                                   "with protocol layer2")
                svc = self.context.service(key)
                if svc is not None:
                    self.status.owned(svc, now[ip])
        for ip in sorted(before - set(now), key=str):
            log.info("no longer announcing %s", ip)
        self.context.metrics.announced.labels(protocol="layer2").set(len(now))

    # -- callbacks (other threads: keep short) ----------------------------------------------

    def _on_conflict(self, conflict: Conflict) -> None:
        log.warning("conflict: %s", conflict)
        self.context.metrics.conflicts.labels(kind=conflict.kind).inc()
        target = self._targets.get(conflict.ip)
        for key in target.services if target else ():
            self.context.event(key, "Warning", "IPConflict",
                               f"{conflict}: not announcing it from node {self.context.node} "
                               "until the other host gives it up")

    def _on_state(self, interface: str, ip: IPAddress, state: str) -> None:
        log.info("%s on %s: %s", ip, interface, state)

    def _on_reject(self, reason: str, source: str) -> None:
        self.context.metrics.heartbeat_rejects.labels(reason=reason).inc()
