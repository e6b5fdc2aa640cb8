"""The speaker: the loop that turns what it watches into announcements, through protocols.

Threads: informers (Services, EndpointSlices, Nodes, the metallb.io objects and Secrets the
protocols read) and the protocols' own threads (heartbeats, the ARP/NDP responder) only set
`_trigger`; one reconcile thread rebuilds the Config when a metallb.io object changed,
computes every Balancer (a Service IP with its pool and backends, pure, a few ms for 1,000
IPs) and hands them to each protocol (layer 2 always, BGP with a BGP engine), which announces
what it should. Nothing is written to the API in steady state: ownership comes from
heartbeats and hashing; the speaker writes Events when what it announces changes (or on a
conflict), ServiceL2Statuses, and its ConfigurationState when its configuration problems
change.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from baremetal_lb.bgp.engine import BgpEngine
from baremetal_lb.config import Config, Problem, config_for, password_secret_names
from baremetal_lb.config.projection import slim_endpoint_slice, slim_metallb, slim_node, slim_service
from baremetal_lb.health import ThreadHealth, problems
from baremetal_lb.kube import EventRecorder, Informer, KubeClient
from baremetal_lb.kube import resources as r
from baremetal_lb.metrics import SpeakerMetrics
from baremetal_lb.net.links import Link, LinkWatcher
from baremetal_lb.report import ConfigReporter

from .balancers import Inputs, NodeInfo, balancers
from .bgp import Bgp
from .layer2 import Layer2, Layer2Options
from .protocol import AnnounceProtocol, Context
from .secrets import NamedSecrets

log = logging.getLogger(__name__)
# The loop comes round at least every second; a reconcile may block in FRR (frr-reload.py: up
# to 30 s). Stuck or failing for this long, /healthz fails and the kubelet restarts us.
RECONCILE_STALL_SECONDS = 120.0

# Resources a protocol may read (AnnounceProtocol.watches), with informer parameters. Secrets
# are not among them: only those BGPPeers name are read, one by one (secrets.py).
WATCHABLE: dict[str, tuple[r.Resource, Mapping[str, str]]] = {
    "l2advertisements": (r.L2_ADVERTISEMENTS, {}),
    "bgpadvertisements": (r.BGP_ADVERTISEMENTS, {}),
    "bgppeers": (r.BGP_PEERS, {}),
    "bfdprofiles": (r.BFD_PROFILES, {}),
    "communities": (r.COMMUNITIES, {}),
}


@dataclass
class SpeakerOptions:
    node: str
    namespace: str = "metallb-system"
    layer2: Layer2Options = field(default_factory=Layer2Options)
    lb_class: str | None = None
    claim_unclassed: bool = True
    bgp_engine: BgpEngine | None = None       # None: layer 2 only


class Speaker:
    def __init__(self, client: KubeClient, options: SpeakerOptions,
                 metrics: SpeakerMetrics) -> None:
        self.client = client
        self.options = options
        self.metrics = metrics
        client.observer = metrics.observe_request
        self.recorder = EventRecorder(client, "baremetal-lb-speaker", host=options.node)
        self._trigger = threading.Event()
        self._config = config_for()
        self._config_changed = True
        self._links: dict[str, Link] = {}
        self._watcher = LinkWatcher(self._on_links)
        self._loop_health = ThreadHealth("reconcile loop", grace=RECONCILE_STALL_SECONDS,
                                         stall=RECONCILE_STALL_SECONDS)
        context = Context(options.node, metrics, self._event, self._service, self._trigger.set)
        self.protocols: list[AnnounceProtocol] = [Layer2(client, options.layer2, context)]
        if options.bgp_engine is not None:
            self.protocols.append(Bgp(options.bgp_engine, context))

        def informer(path: str, name: str, transform: Callable[[dict[str, Any]], Any],
                     on_event: Callable[..., None],
                     params: Mapping[str, str] | None = None) -> Informer[dict[str, Any]]:
            return Informer(client, path, name=name, transform=transform, on_event=on_event,
                            params=params)

        ns = options.namespace
        self.services = informer(r.SERVICES.path(), "services", slim_service, self._on_world)
        self.slices = informer(r.ENDPOINT_SLICES.path(), "endpointslices", slim_endpoint_slice,
                               self._on_world)
        self.nodes = informer(r.NODES.path(), "nodes", slim_node, self._on_world)
        self.pools = informer(r.IP_ADDRESS_POOLS.path(ns), "ipaddresspools", slim_metallb,
                              self._on_config)
        self.inputs: dict[str, Informer[dict[str, Any]]] = {}
        for protocol in self.protocols:
            for name in protocol.watches:
                resource, params = WATCHABLE[name]
                self.inputs[name] = informer(resource.path(ns), name, slim_metallb,
                                             self._on_config, params)
        self.secrets = NamedSecrets(client, ns, self._on_config)
        kinds = ["IPAddressPool", *(WATCHABLE[name][0].kind for name in self.inputs)]
        # The controller already puts pool problems on the pools.
        self.reporter = ConfigReporter(client, self.recorder, ns, "speaker",
                                       "baremetal-lb-speaker", node=options.node,
                                       kinds=[*kinds, "Node"], event_kinds=[*kinds[1:], "Node"])

    def informers(self) -> list[Informer[dict[str, Any]]]:
        return [self.services, self.slices, self.nodes, self.pools, *self.inputs.values()]

    def synced(self) -> bool:
        return all(i.has_synced for i in self.informers())

    def ready(self) -> tuple[bool, str]:
        """Caches synced and every protocol ready (layer 2: heartbeats warmed up)."""
        if not self.synced():
            return False, "caches not synced"
        for protocol in self.protocols:
            ok, why = protocol.ready()
            if not ok:
                return ok, why
        return True, "ready"

    def healthy(self) -> tuple[bool, str]:
        """Every worker thread alive and not stuck failing (see baremetal_lb.health): the
        reconcile loop, the link watcher and each protocol's own (layer 2: heartbeats per LAN,
        the ARP/NDP responders, the ServiceL2Status writer; BGP: the engine's BFD gate)."""
        found = problems([self._loop_health, self._watcher.health,
                          *(h for protocol in self.protocols for h in protocol.healths())])
        return (False, "; ".join(found)) if found else (True, "ok")

    def announcing(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for protocol in self.protocols:
            found.update(protocol.announcing())
        return found

    # -- lifecycle ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        for inf in self.informers():
            inf.start()
        while not all(i.wait_synced(1.0) for i in self.informers()):
            if stop.is_set():
                return self._shutdown()
        # The password Secrets the peers name, read before the first configuration is built.
        self.secrets.want(password_secret_names(self._items("bgppeers")))
        self.secrets.wait_read()
        self._watcher.start()
        self._links = dict(self._watcher.links)
        for protocol in self.protocols:
            protocol.start(self._links)
        self._trigger.set()
        self._loop_health.watch(threading.current_thread())
        while not stop.is_set():
            if self._trigger.wait(timeout=1.0):
                self._trigger.clear()
            try:
                self._reconcile()
                self._loop_health.ok()
            except Exception as exc:  # noqa: BLE001 - retried; reported by healthy()
                log.exception("reconcile failed; retrying")
                self._loop_health.failed(exc)
                stop.wait(1.0)
        self._loop_health.stopped()
        self._shutdown()

    def _shutdown(self) -> None:
        for protocol in self.protocols:
            protocol.stop()
        self._watcher.stop()
        for inf in self.informers():
            inf.stop()
        self.secrets.stop()
        self.reporter.stop()
        self.recorder.stop()

    # -- reconcile -------------------------------------------------------------------------

    def _items(self, name: str) -> list[dict[str, Any]]:
        informer = self.inputs.get(name)
        return informer.items() if informer is not None else []

    def _rebuild_config(self) -> Config:
        """The Config of the metallb.io objects, rebuilt only after one of them changed (or a
        password Secret did)."""
        if self._config_changed:
            self._config_changed = False
            peers = self._items("bgppeers")
            self.secrets.want(password_secret_names(peers))
            if self.secrets.waiting():
                # A Secret named just now is being read: keep the current configuration
                # meanwhile rather than report its peer broken (the loop comes round within
                # a second).
                self._config_changed = True
                return self._config
            self._config = config_for(
                pools=self.pools.items(), l2_advertisements=self._items("l2advertisements"),
                bgp_advertisements=self._items("bgpadvertisements"), peers=peers,
                bfd_profiles=self._items("bfdprofiles"), communities=self._items("communities"),
                passwords=self.secrets.passwords())
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
            node=self.options.node, config=config,
            balancers=balancers(config, self.services.items(),
                                {k: frozenset(v) for k, v in endpoints.items()},
                                self.options.lb_class, self.options.claim_unclassed),
            nodes=[NodeInfo(n["metadata"]["name"], n["metadata"]["labels"], n["ready"])
                   for n in self.nodes.items()],
            links=self._links)
        problems: list[Problem] = list(config.problems)
        for protocol in self.protocols:
            problems += protocol.announce(inputs)
        self.reporter.report(problems)
        self.metrics.config_problems.set(len(problems))
        self.metrics.reconcile_seconds.observe(time.perf_counter() - started)

    def _event(self, key: str, type_: str, reason: str, message: str) -> None:
        svc = self.services.get(key)
        if svc is not None:
            self.recorder.record(svc, type_, reason, message)

    def _service(self, key: str) -> dict[str, Any] | None:
        return self.services.get(key)

    # -- callbacks (other threads: keep short) ----------------------------------------------

    def _on_config(self, *_: Any) -> None:
        self._config_changed = True
        self._trigger.set()

    def _on_world(self, *_: Any) -> None:
        self._trigger.set()

    def _on_links(self, links: dict[str, Link]) -> None:
        self._links = dict(links)
        for protocol in self.protocols:
            protocol.links_changed(links)
        self._trigger.set()
