"""The speaker: makes this node answer ARP/NDP for the Service IPs it owns (layer 2).

Threads: informers (Services, EndpointSlices, Nodes, IPAddressPools, L2Advertisements) and the
heartbeat services only set `_trigger`; one reconcile thread recomputes the whole plan (pure,
a few ms for 1,000 IPs) and hands each interface its owned IPs. Nothing is written to the API in
steady state: ownership comes from heartbeats and hashing, and the speaker writes only Events
when what it announces changes (or when it sees a conflict).

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
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from baremetal_lb.allocator import IPAddress
from baremetal_lb.bgp.engine import BgpEngine, BgpEngineError
from baremetal_lb.config import Config, Problem, config_for
from baremetal_lb.kube import EventRecorder, Informer, KubeClient
from baremetal_lb.layer2.announcer import Layer2Announcer
from baremetal_lb.layer2.state import AnnounceConfig, Conflict
from baremetal_lb.liveness.service import HeartbeatConfig, HeartbeatService
from baremetal_lb.metrics import SpeakerMetrics
from baremetal_lb.net.links import Link, LinkWatcher, select_links
from baremetal_lb.report import ConfigReporter

from .bgp_mode import BgpInputs, bgp_config
from .plan import Inputs, NodeInfo, Target, layer2_targets, owned, owners
from .status import StatusWriter
from .projection import slim_endpoint_slice, slim_node, slim_object, slim_secret, slim_service

log = logging.getLogger(__name__)

METALLB_API = "/apis/metallb.io/v1beta1"


@dataclass
class SpeakerOptions:
    node: str
    namespace: str = "metallb-system"
    interfaces: Sequence[str] = ()            # link name patterns; empty: every LAN link
    heartbeat_keys: Mapping[int, bytes] = field(default_factory=dict)
    heartbeat_key_id: int = 1
    heartbeat_port: int = 7473
    heartbeat_interval: float = 0.1
    heartbeat_hold: float = 0.35
    lb_class: str | None = None
    claim_unclassed: bool = True
    handover_grace: float = 0.5
    bgp_engine: BgpEngine | None = None       # None: layer 2 only


class Speaker:
    def __init__(self, client: KubeClient, options: SpeakerOptions,
                 metrics: SpeakerMetrics) -> None:
        self.client = client
        self.options = options
        self.metrics = metrics
        client.observer = metrics.observe_request
        self.recorder = EventRecorder(client, "baremetal-lb-speaker", host=options.node)
        self.status = StatusWriter(client, options.node)
        kinds = ["IPAddressPool", "L2Advertisement"]
        if options.bgp_engine is not None:
            kinds += ["BFDProfile", "Community", "BGPAdvertisement", "BGPPeer"]
        # The controller already puts pool problems on the pools.
        self.reporter = ConfigReporter(client, self.recorder, options.namespace, "speaker",
                                       "baremetal-lb-speaker", node=options.node,
                                       kinds=[*kinds, "Node"],
                                       event_kinds=set(kinds[1:]) | {"Node"})
        self._config = config_for()
        self._config_changed = True
        self.announcer = Layer2Announcer(AnnounceConfig(), on_conflict=self._on_conflict,
                                         on_state=self._on_state)
        self._trigger = threading.Event()
        self._stop = threading.Event()
        self._heartbeats: dict[str, HeartbeatService] = {}
        self._owned: dict[str, frozenset[IPAddress]] = {}
        self._targets: dict[IPAddress, Target] = {}
        self._owner_of: dict[IPAddress, str | None] = {}
        self._links: dict[str, Link] = {}
        self._watcher = LinkWatcher(self._on_links)
        ns = options.namespace

        def informer(path: str, name: str, transform: Any,
                     config: bool = True) -> Informer[dict[str, Any]]:
            return Informer(client, path, name=name, transform=transform,
                            on_event=self._on_config if config else self._on_world)

        self.services = informer("/api/v1/services", "services", slim_service, config=False)
        self.slices = informer("/apis/discovery.k8s.io/v1/endpointslices", "endpointslices",
                               slim_endpoint_slice, config=False)
        self.nodes = informer("/api/v1/nodes", "nodes", slim_node, config=False)
        self.pools = informer(f"{METALLB_API}/namespaces/{ns}/ipaddresspools",
                              "ipaddresspools", slim_object)
        self.adverts = informer(f"{METALLB_API}/namespaces/{ns}/l2advertisements",
                                "l2advertisements", slim_object)

        self._bgp_informers: list[Informer[dict[str, Any]]] = []
        self._bgp_applied: object = None
        self._bgp_failed = False
        if options.bgp_engine is not None:
            self.peers = informer(f"/apis/metallb.io/v1beta2/namespaces/{ns}/bgppeers",
                                  "bgppeers", slim_object)
            self.bgp_adverts = informer(f"{METALLB_API}/namespaces/{ns}/bgpadvertisements",
                                        "bgpadvertisements", slim_object)
            self.bfd_profiles = informer(f"{METALLB_API}/namespaces/{ns}/bfdprofiles",
                                         "bfdprofiles", slim_object)
            self.communities = informer(f"{METALLB_API}/namespaces/{ns}/communities",
                                        "communities", slim_object)
            # Only basic-auth Secrets (MetalLB's passwordSecret type), and only their password.
            self.secrets = Informer(
                client, f"/api/v1/namespaces/{ns}/secrets", name="secrets",
                transform=slim_secret, on_event=self._on_config,
                params={"fieldSelector": "type=kubernetes.io/basic-auth"})
            self._bgp_informers = [self.peers, self.bgp_adverts, self.bfd_profiles,
                                   self.communities, self.secrets]

    def informers(self) -> list[Informer[dict[str, Any]]]:
        return [self.services, self.slices, self.nodes, self.pools, self.adverts,
                *self._bgp_informers]

    def synced(self) -> bool:
        return all(i.has_synced for i in self.informers())

    def ready(self) -> tuple[bool, str]:
        """Caches synced and every LAN's heartbeat warmed up (this node is among the live)."""
        if not self.synced():
            return False, "caches not synced"
        waiting = [name for name, hb in self._heartbeats.items() if not hb.ready()]
        if waiting or not self._heartbeats:
            return False, f"heartbeats warming up on {waiting or 'no interface yet'}"
        return True, "ready"

    def announcing(self) -> dict[str, list[str]]:
        return {iface: sorted(map(str, ips)) for iface, ips in self._owned.items() if ips}

    # -- lifecycle ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        for inf in self.informers():
            inf.start()
        while not all(i.wait_synced(1.0) for i in self.informers()):
            if stop.is_set():
                return self._shutdown()
        self._watcher.start()
        self._links = dict(self._watcher.links)
        self._start_heartbeats()
        self._trigger.set()
        while not stop.is_set():
            if self._trigger.wait(timeout=1.0):
                self._trigger.clear()
            self._reconcile()
        self._shutdown()

    def _start_heartbeats(self) -> None:
        patterns = list(self.options.interfaces) or ["*"]
        for link in select_links(self._links, patterns + ["!lo"]):
            if link.loopback or not (link.ipv4 or any(not a.ip.is_link_local for a in link.ipv6)):
                continue
            family = 4 if link.ipv4 else 6
            config = HeartbeatConfig(
                self.options.node, link.name, self.options.heartbeat_keys,
                self.options.heartbeat_key_id, port=self.options.heartbeat_port,
                interval=self.options.heartbeat_interval, hold=self.options.heartbeat_hold,
                family=family)
            service = HeartbeatService(config, link.mac, on_change=lambda _: self._trigger.set(),
                                       on_reject=self._on_reject)
            service.set_link(link.up, link.mac)
            service.start()
            self._heartbeats[link.name] = service
            log.info("heartbeats on %s (%s)", link.name, ", ".join(
                str(a) for a in (*link.ipv4, *link.ipv6)))
        if not self._heartbeats:
            log.error("no LAN interface matches %s: this speaker will announce nothing", patterns)

    def _shutdown(self) -> None:
        """Hand over first: peers hear LEAVING and take over (gratuitous ARP from the new
        owner) while this node still answers during the grace period; then go quiet."""
        for service in self._heartbeats.values():
            service.stop(leave=True)
        if any(self._owned.values()):
            time.sleep(self.options.handover_grace)
        self.announcer.close()
        if self.options.bgp_engine is not None:
            self.options.bgp_engine.close()
        self._watcher.stop()
        for inf in self.informers():
            inf.stop()
        self.reporter.stop()
        self.recorder.stop()
        self.status.stop()

    # -- reconcile -------------------------------------------------------------------------

    def _rebuild_config(self) -> Config:
        """The Config of the metallb.io objects, rebuilt only after one of them changed."""
        if self._config_changed:
            self._config_changed = False
            bgp = self.options.bgp_engine is not None
            self._config = config_for(
                pools=self.pools.items(), l2_advertisements=self.adverts.items(),
                bgp_advertisements=self.bgp_adverts.items() if bgp else (),
                peers=self.peers.items() if bgp else (),
                bfd_profiles=self.bfd_profiles.items() if bgp else (),
                communities=self.communities.items() if bgp else (),
                passwords={s["metadata"]["name"]: s["password"] for s in self.secrets.items()
                           if s.get("password") is not None} if bgp else {})
        return self._config

    def _reconcile(self) -> None:
        started = time.perf_counter()
        config = self._rebuild_config()
        endpoints: dict[str, set[str]] = {}
        for piece in self.slices.items():
            meta = piece["metadata"]
            if meta.get("service"):
                endpoints.setdefault(f"{meta['namespace']}/{meta['service']}", set()).update(
                    piece["ready_nodes"])
        inputs = Inputs(
            node=self.options.node, services=self.services.items(), config=config,
            nodes=[NodeInfo(n["metadata"]["name"], n["metadata"]["labels"], n["ready"])
                   for n in self.nodes.items()],
            endpoints={k: frozenset(v) for k, v in endpoints.items()}, links=self._links,
            lb_class=self.options.lb_class, claim_unclassed=self.options.claim_unclassed)
        targets = layer2_targets(inputs)
        alive_on = {name: hb.alive() for name, hb in self._heartbeats.items()}
        owner_of = owners(targets, alive_on)
        wanted = owned(targets, self.options.node, owner_of, self._heartbeats)
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
            takeover = {ip for ip in ips - before
                        if self._owner_of.get(ip) not in (None, self.options.node)}
            if takeover:
                self.announcer.set_owned(iface, before & ips | takeover, probe=False)
            self.announcer.set_owned(iface, ips, probe=True)
        self._report(targets, wanted)
        self._targets, self._owned, self._owner_of = targets, wanted, owner_of
        problems: list[Problem] = list(config.problems)
        if self.options.bgp_engine is not None:
            problems += self._reconcile_bgp(inputs)
        self.reporter.report(problems)
        self.metrics.reconcile_seconds.observe(time.perf_counter() - started)
        for name, members in alive_on.items():
            self.metrics.members.labels(interface=name).set(len(members))

    def _reconcile_bgp(self, inputs: Inputs) -> tuple[Problem, ...]:
        engine = self.options.bgp_engine
        assert engine is not None
        me = next((n for n in inputs.nodes if n.name == self.options.node), None)
        result = bgp_config(BgpInputs(
            layer2=inputs, node_labels=me.labels if me else {}, node_ready=bool(me and me.ready)))
        if result.config == self._bgp_applied and not self._bgp_failed:
            return result.problems
        try:
            engine.apply(result.config)
        except BgpEngineError as exc:
            log.error("BGP engine: %s (retrying)", exc)
            self._bgp_failed = True
            threading.Timer(2.0, self._trigger.set).start()
            return result.problems
        before = {a.prefix for a in getattr(self._bgp_applied, "announcements", ())}
        now = {a.prefix for a in result.config.announcements}
        self._bgp_applied, self._bgp_failed = result.config, False
        self.metrics.announced.labels(protocol="bgp").set(len(now))
        for prefix in sorted(now - before, key=str):
            log.info("BGP: announcing %s", prefix)
            for key in result.services.get(prefix, ()):
                self._event(key, "Normal", "nodeAssigned",
                            f"announcing {prefix} from node {self.options.node} with protocol bgp")
        for prefix in sorted(before - now, key=str):
            log.info("BGP: withdrew %s", prefix)
        return result.problems

    def _report(self, targets: Mapping[IPAddress, Target],
                wanted: Mapping[str, frozenset[IPAddress]]) -> None:
        before = {ip for ips in self._owned.values() for ip in ips}
        now = {ip: iface for iface, ips in wanted.items() for ip in ips}
        for ip in sorted(set(now) - before, key=str):
            log.info("announcing %s on %s", ip, now[ip])
            for key in targets[ip].services:
                self._event(key, "Normal", "nodeAssigned",
                            f"announcing {ip} from node {self.options.node} on {now[ip]} "
                            "with protocol layer2")
                svc = self.services.get(key)
                if svc is not None:
                    self.status.owned(svc, now[ip])
        for ip in sorted(before - set(now), key=str):
            log.info("no longer announcing %s", ip)
        self.metrics.announced.labels(protocol="layer2").set(len(now))

    def _event(self, key: str, type_: str, reason: str, message: str) -> None:
        svc = self.services.get(key)
        if svc is not None:
            self.recorder.record(svc, type_, reason, message)

    # -- callbacks (other threads: keep short) ----------------------------------------------

    def _on_config(self, *_: Any) -> None:
        self._config_changed = True
        self._trigger.set()

    def _on_world(self, *_: Any) -> None:
        self._trigger.set()

    def _on_links(self, links: dict[str, Link]) -> None:
        self._links = dict(links)
        self.announcer.link_changed(links)
        for name, service in self._heartbeats.items():
            link = links.get(name)
            service.set_link(link is not None and link.up, None if link is None else link.mac)
        self._trigger.set()

    def _on_conflict(self, conflict: Conflict) -> None:
        log.warning("conflict: %s", conflict)
        self.metrics.conflicts.labels(kind=conflict.kind).inc()
        target = self._targets.get(conflict.ip)
        for key in target.services if target else ():
            self._event(key, "Warning", "IPConflict",
                        f"{conflict}: not announcing it from node {self.options.node} until "
                        "the other host gives it up")

    def _on_state(self, interface: str, ip: IPAddress, state: str) -> None:
        log.info("%s on %s: %s", ip, interface, state)

    def _on_reject(self, reason: str, source: str) -> None:
        self.metrics.heartbeat_rejects.labels(reason=reason).inc()
