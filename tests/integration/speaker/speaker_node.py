"""A minimal layer-2 speaker for the integration tests: heartbeats + HRW ownership + announcer.

Run inside a node namespace (`ip netns exec xl-node1 python speaker_node.py ...`). It prints one
JSON object per line on stdout (events with a monotonic timestamp `t`) and stops on SIGTERM
(graceful: a LEAVING heartbeat) or SIGKILL (crash). Without --key it skips heartbeats and owns
every IP given (static mode). This is the glue a real speaker's reconcile loop will provide.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import threading
import time
from typing import Any

from baremetal_lb.layer2.announcer import Layer2Announcer
from baremetal_lb.layer2.state import AnnounceConfig, Conflict
from baremetal_lb.liveness.service import HeartbeatConfig, HeartbeatService
from baremetal_lb.net.ethernet import format_mac
from baremetal_lb.net.links import Link, LinkWatcher
from baremetal_lb.speaker.ownership import owned_by

_print_lock = threading.Lock()


def emit(event: str, **fields: Any) -> None:
    with _print_lock:
        print(json.dumps({"event": event, "t": time.monotonic(), **fields}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--node", required=True)
    parser.add_argument("--interface", default="eth0")
    parser.add_argument("--ips", required=True)
    parser.add_argument("--key", help="hex shared key; omit for static ownership")
    parser.add_argument("--port", type=int, default=7473)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--hold", type=float, default=0.35)
    parser.add_argument("--no-probe", action="store_true")
    args = parser.parse_args()
    ips = [ipaddress.ip_address(text) for text in args.ips.split(",")]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def on_conflict(conflict: Conflict) -> None:
        emit("conflict", ip=str(conflict.ip), mac=format_mac(conflict.mac), phase=conflict.phase,
             kind=conflict.kind)

    announcer = Layer2Announcer(AnnounceConfig(), on_conflict=on_conflict,
                                on_state=lambda i, ip, s: emit("state", ip=str(ip), state=s))
    service: HeartbeatService | None = None

    def reconcile(alive: frozenset[str]) -> None:
        owned = owned_by(args.node, {ip: alive for ip in ips})
        if service is not None:
            announcer.set_friendly_macs(service.peer_macs())
        emit("alive", nodes=sorted(alive), owned=sorted(map(str, owned)))
        announcer.set_owned(args.interface, owned, probe=not args.no_probe)

    def on_links(links: dict[str, Link]) -> None:
        announcer.link_changed(links)
        link = links.get(args.interface)
        if service is not None:
            service.set_link(link is not None and link.up, None if link is None else link.mac)

    watcher = LinkWatcher(on_links)
    watcher.start()
    link = watcher.links[args.interface]
    if args.key:
        config = HeartbeatConfig(args.node, args.interface, {1: bytes.fromhex(args.key)}, 1,
                                 port=args.port, interval=args.interval, hold=args.hold)
        service = HeartbeatService(config, link.mac, on_change=reconcile,
                                   on_reject=lambda reason, who: emit("reject", reason=reason,
                                                                      source=who))
        service.start()
    else:
        reconcile(frozenset({args.node}))
    emit("started", mac=format_mac(link.mac))
    stop.wait()
    if service is not None:
        service.stop(leave=True)
    announcer.close()
    watcher.stop()
    emit("stopped")


if __name__ == "__main__":
    main()
