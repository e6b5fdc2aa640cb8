"""The one entry point: `baremetal-lb controller | speaker | import-configmap | crds`."""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from baremetal_lb import __version__
from baremetal_lb.config import ConfigError, crds, import_legacy
from baremetal_lb.controller import Controller, ControllerOptions
from baremetal_lb.kube import KubeClient
from baremetal_lb.kube.authn import TokenAuthorizer
from baremetal_lb.kube.resources import SECRETS
from baremetal_lb.metrics import (
    ControllerMetrics,
    HealthCheck,
    MetricsServer,
    SecureMetricsServer,
    SpeakerMetrics,
)

log = logging.getLogger("baremetal_lb")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        result: int = args.func(args)
    except BrokenPipeError:
        # `baremetal-lb crds | head`: the reader left; not an error worth a traceback.
        sys.stderr.close()
        return 0
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baremetal-lb", description=__doc__)
    parser.add_argument("--version", action="version", version=f"baremetal-lb {__version__}")
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "info"),
                        choices=["debug", "info", "warning", "error"])
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    ctl = sub.add_parser("controller", help="allocate Service IPs from IPAddressPools")
    ctl.add_argument("--kubeconfig", default=None,
                     help="kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    ctl.add_argument("--namespace", default=os.environ.get("METALLB_NAMESPACE", "metallb-system"),
                     help="namespace of the IPAddressPools and of the leader Lease")
    ctl.add_argument("--load-balancer-class", default=None,
                     help="serve Services with this spec.loadBalancerClass")
    ctl.add_argument("--claim-unclassed", action=argparse.BooleanOptionalAction, default=None,
                     help="also serve Services without a loadBalancerClass (default: yes "
                          "without --load-balancer-class, no with it)")
    ctl.add_argument("--leader-elect", action=argparse.BooleanOptionalAction, default=True)
    ctl.add_argument("--identity", default=os.environ.get("POD_NAME")
                     or f"{socket.gethostname()}-{os.getpid()}")
    ctl.add_argument("--lease-name", default="baremetal-lb-controller")
    ctl.add_argument("--lease-duration", type=float, default=6.0)
    ctl.add_argument("--renew-deadline", type=float, default=4.0)
    ctl.add_argument("--retry-period", type=float, default=1.0)
    ctl.add_argument("--write-timeout", type=float, default=1.5,
                     help="seconds one status write may take, retries included; must be "
                          "below --lease-duration minus --renew-deadline")
    ctl.add_argument("--field-manager", default="baremetal-lb-controller",
                     help="the manager named in managedFields for the status writes (e.g. "
                          "one per replica, to tell their writes apart)")
    ctl.add_argument("--workers", type=int, default=8, help="parallel status writers")
    _endpoint_flags(ctl, 7472)
    ctl.set_defaults(func=_controller)

    spk = sub.add_parser("speaker", help="announce Service IPs from this node: by layer 2 "
                                          "(ARP/NDP), and by BGP with --bgp-engine")
    spk.add_argument("--kubeconfig", default=None)
    spk.add_argument("--node", default=os.environ.get("NODE_NAME") or socket.gethostname(),
                     help="this node's Kubernetes name (default: $NODE_NAME, hostname)")
    spk.add_argument("--namespace", default=os.environ.get("METALLB_NAMESPACE", "metallb-system"),
                     help="namespace of the metallb.io objects (pools, advertisements, peers) "
                          "and of the heartbeat Secret")
    spk.add_argument("--interface", action="append", default=[],
                     help="LAN link name or pattern ('eth*', '!eth9'); repeatable; default: all")
    key = spk.add_mutually_exclusive_group(required=True)
    key.add_argument("--heartbeat-key-file",
                     help="file with the shared heartbeat key (hex, or raw bytes)")
    key.add_argument("--heartbeat-secret",
                     help="Secret in --namespace whose data.key is the shared heartbeat key")
    spk.add_argument("--heartbeat-port", type=int, default=7473)
    spk.add_argument("--heartbeat-interval", type=float, default=0.1)
    spk.add_argument("--heartbeat-hold", type=float, default=0.35)
    spk.add_argument("--load-balancer-class", default=None)
    spk.add_argument("--claim-unclassed", action=argparse.BooleanOptionalAction, default=None)
    _endpoint_flags(spk, 7475)
    spk.add_argument("--bgp-engine", choices=["none", "frr"], default="none",
                     help="also announce by BGP through this engine (default: none, layer 2 "
                          "only)")
    spk.add_argument("--frr-dir", default="/var/run/frr",
                     help="the node-local FRR's vty socket and config directory")
    spk.set_defaults(func=_speaker)

    imp = sub.add_parser("import-configmap",
                         help="print CRD manifests for a legacy MetalLB ConfigMap")
    imp.add_argument("file", help="the ConfigMap manifest or its `config` text ('-': stdin)")
    imp.add_argument("--namespace", default="metallb-system")
    imp.set_defaults(func=_import_configmap)

    crd = sub.add_parser("crds", help="print the metallb.io CustomResourceDefinitions")
    crd.set_defaults(func=_crds)
    return parser


def _endpoint_flags(parser: argparse.ArgumentParser, port: int) -> None:
    parser.add_argument("--metrics-address", default=f"127.0.0.1:{port}",
                        help="HOST:PORT of plain HTTP /metrics, /healthz and /readyz (port 0: "
                             "any); keep it on localhost and expose metrics with "
                             "--secure-metrics-address")
    parser.add_argument("--health-address", default=None,
                        help="HOST:PORT of plain HTTP /healthz and /readyz only, for probes "
                             "that cannot reach localhost (default: on --metrics-address)")
    parser.add_argument("--secure-metrics-address", default=None,
                        help="HOST:PORT of /metrics over TLS for clients whose bearer token "
                             "may `get` /metrics (TokenReview + SubjectAccessReview)")
    parser.add_argument("--metrics-tls-cert-file", default=None,
                        help="certificate (PEM) of --secure-metrics-address")
    parser.add_argument("--metrics-tls-key-file", default=None,
                        help="private key (PEM) of --secure-metrics-address")


def _controller(args: argparse.Namespace) -> int:
    if (problem := _check_endpoints(args)) is not None:
        log.error("%s", problem)
        return 2
    if not (args.renew_deadline < args.lease_duration):
        log.error("--renew-deadline (%s) must be shorter than --lease-duration (%s)",
                  args.renew_deadline, args.lease_duration)
        return 2
    options = ControllerOptions(
        namespace=args.namespace, lb_class=args.load_balancer_class,
        claim_unclassed=_claim_unclassed(args),
        workers=args.workers, leader_elect=args.leader_elect, identity=args.identity,
        lease_name=args.lease_name, lease_duration=args.lease_duration,
        renew_deadline=args.renew_deadline, retry_period=args.retry_period,
        write_timeout=args.write_timeout, field_manager=args.field_manager)
    try:
        options.check()
    except ValueError as exc:
        log.error("--write-timeout: %s", exc)
        return 2
    client = KubeClient.auto(args.kubeconfig,
                             user_agent=f"baremetal-lb/{__version__} controller/{args.identity}")
    metrics = ControllerMetrics()
    controller = Controller(client, options, metrics)

    def ready() -> tuple[bool, str]:
        if not controller.synced():
            return False, "caches not synced"
        return True, "leading" if controller.is_active() else "standby"

    return _serve(controller.run, args, client, metrics.registry, controller.healthy,
                  ready, f"controller {args.identity}: pools in {args.namespace}",
                  "stopping (handing the lease over)")


def _claim_unclassed(args: argparse.Namespace) -> bool:
    """Unclassed Services are ours by default only when no class of our own is given."""
    if args.claim_unclassed is None:
        return bool(args.load_balancer_class is None)
    return bool(args.claim_unclassed)


def _serve(run: Callable[[threading.Event], None], args: argparse.Namespace, client: KubeClient,
           registry: CollectorRegistry, healthy: HealthCheck, ready: HealthCheck, what: str,
           on_stop: str) -> int:
    """Serve metrics and health, run until SIGTERM/SIGINT, then let `run` wind down."""
    servers = [MetricsServer(args.metrics_address, registry, healthy, ready)]
    if args.health_address and args.health_address != args.metrics_address:
        servers.append(MetricsServer(args.health_address, registry, healthy, ready,
                                     metrics=False))
    if args.secure_metrics_address:
        try:
            servers.append(SecureMetricsServer(
                args.secure_metrics_address, registry, args.metrics_tls_cert_file,
                args.metrics_tls_key_file, TokenAuthorizer(client).check))
        except (OSError, ssl.SSLError) as exc:
            # Metrics are not worth an outage: run without them, and say so loudly.
            log.error("secure metrics on %s disabled: cannot load %s / %s: %s",
                      args.secure_metrics_address, args.metrics_tls_cert_file,
                      args.metrics_tls_key_file, exc)
    for server in servers:
        server.start()
    log.info("baremetal-lb %s %s, metrics on port %d", __version__, what, servers[0].port)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("signal %d: %s", signum, on_stop)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        run(stop)
    finally:
        for server in servers:
            server.stop()
    return 0


def _check_endpoints(args: argparse.Namespace) -> str | None:
    """Why the endpoint flags cannot work together, or None."""
    if args.secure_metrics_address and not (args.metrics_tls_cert_file
                                            and args.metrics_tls_key_file):
        return "--secure-metrics-address needs --metrics-tls-cert-file and --metrics-tls-key-file"
    return None


def _heartbeat_key(args: argparse.Namespace, client: KubeClient) -> bytes:
    if args.heartbeat_key_file:
        raw = Path(args.heartbeat_key_file).read_bytes().strip()
    else:
        secret = client.request("GET", SECRETS.path(args.namespace, args.heartbeat_secret))
        encoded = (secret.get("data") or {}).get("key")
        if not encoded:
            raise SystemExit(f"Secret {args.namespace}/{args.heartbeat_secret} has no data.key")
        raw = base64.b64decode(encoded).strip()
    try:
        return bytes.fromhex(raw.decode())
    except (UnicodeDecodeError, ValueError):
        return raw


def _speaker(args: argparse.Namespace) -> int:
    # Imported here: the controller never loads pyroute2, raw-socket or FRR code (its RSS;
    # the "controller" contract in runtime/.importlinter checks the controller package).
    from baremetal_lb.bgp.frr import FrrEngine
    from baremetal_lb.speaker import Layer2Options, Speaker, SpeakerOptions

    if (problem := _check_endpoints(args)) is not None:
        log.error("%s", problem)
        return 2

    client = KubeClient.auto(args.kubeconfig,
                             user_agent=f"baremetal-lb/{__version__} speaker/{args.node}")
    options = SpeakerOptions(
        node=args.node, namespace=args.namespace,
        layer2=Layer2Options(interfaces=tuple(args.interface),
                             keys={1: _heartbeat_key(args, client)}, port=args.heartbeat_port,
                             interval=args.heartbeat_interval, hold=args.heartbeat_hold),
        lb_class=args.load_balancer_class, claim_unclassed=_claim_unclassed(args),
        bgp_engine=FrrEngine(args.frr_dir) if args.bgp_engine == "frr" else None)
    metrics = SpeakerMetrics()
    speaker = Speaker(client, options, metrics)

    def ready() -> tuple[bool, str]:
        ok, why = speaker.ready()
        return (True, json.dumps(speaker.announcing())) if ok else (False, why)

    return _serve(speaker.run, args, client, metrics.registry,
                  speaker.healthy, ready, f"speaker on node {args.node}",
                  "handing over and stopping")


def _import_configmap(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    try:
        objects = import_legacy(text, namespace=args.namespace)
    except ConfigError as exc:
        print(f"baremetal-lb import-configmap: {exc}", file=sys.stderr)
        return 1
    yaml.safe_dump_all(objects, sys.stdout, sort_keys=False)
    return 0


def _crds(args: argparse.Namespace) -> int:
    yaml.safe_dump_all(crds(), sys.stdout, sort_keys=False)
    return 0
