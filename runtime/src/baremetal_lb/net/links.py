"""Interfaces and their addresses from rtnetlink (pyroute2), and a watcher that follows changes.

`links_from_messages` is the pure part (netlink messages -> `Link` records); `snapshot` and
`LinkWatcher` do the netlink I/O in the current network namespace."""

from __future__ import annotations

import fnmatch
import logging
import select
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv6Address, IPv6Interface, ip_interface
from typing import Any, Protocol

from pyroute2 import IPRoute  # type: ignore[import-untyped]

from ..health import ThreadHealth
from .ethernet import parse_mac

log = logging.getLogger(__name__)

IFF_UP = 0x1
IFF_LOOPBACK = 0x8
IFF_LOWER_UP = 0x10000
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100
# IFA_F_TENTATIVE/DADFAILED: an IPv6 address still in (or failed) DAD cannot source packets yet.
_IFA_F_UNUSABLE = 0x40 | 0x08


class NetlinkMessage(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    mac: bytes
    flags: int
    ipv4: tuple[IPv4Interface, ...] = ()
    ipv6: tuple[IPv6Interface, ...] = ()

    @property
    def up(self) -> bool:
        """Administratively up and with carrier: frames sent here can reach the LAN."""
        return self.flags & (IFF_UP | IFF_LOWER_UP) == IFF_UP | IFF_LOWER_UP

    @property
    def loopback(self) -> bool:
        return bool(self.flags & IFF_LOOPBACK)

    @property
    def link_local(self) -> IPv6Address | None:
        return next((a.ip for a in self.ipv6 if a.ip.is_link_local), None)


def links_from_messages(links: Iterable[NetlinkMessage],
                        addresses: Iterable[NetlinkMessage]) -> dict[str, Link]:
    v4: dict[int, list[IPv4Interface]] = {}
    v6: dict[int, list[IPv6Interface]] = {}
    for msg in addresses:
        if msg.get("flags", 0) & _IFA_F_UNUSABLE:
            continue
        # IFA_LOCAL is the interface's own address on point-to-point links; IFA_ADDRESS otherwise.
        text = msg.get("IFA_LOCAL") or msg.get("IFA_ADDRESS")
        if not text:
            continue
        iface = ip_interface(f"{text}/{msg.get('prefixlen')}")
        if isinstance(iface, IPv4Interface):
            v4.setdefault(msg.get("index"), []).append(iface)
        else:
            v6.setdefault(msg.get("index"), []).append(iface)
    result = {}
    for msg in links:
        index, name = msg.get("index"), msg.get("IFLA_IFNAME")
        address = msg.get("IFLA_ADDRESS")
        if name is None or not address or len(address.split(":")) != 6:
            continue              # not an Ethernet-like link (tunnels, ip6gre): no ARP/NDP there
        result[name] = Link(index, name, parse_mac(address), msg.get("flags", 0),
                            tuple(v4.get(index, ())), tuple(v6.get(index, ())))
    return result


def snapshot(ipr: Any = None) -> dict[str, Link]:
    """Every Ethernet-like interface of this network namespace, by name."""
    if ipr is None:
        with IPRoute() as own:
            return snapshot(own)
    return links_from_messages(ipr.get_links(), ipr.get_addr())


def select_links(links: Mapping[str, Link], patterns: Sequence[str]) -> list[Link]:
    """Links matching shell patterns ("eth*", "bond0"); a "!pattern" excludes; no include pattern
    means every non-loopback link. Order follows the interface index."""
    include = [p for p in patterns if not p.startswith("!")]
    exclude = [p[1:] for p in patterns if p.startswith("!")]
    chosen = []
    for link in sorted(links.values(), key=lambda link: link.index):
        if any(fnmatch.fnmatchcase(link.name, p) for p in exclude):
            continue
        if include and any(fnmatch.fnmatchcase(link.name, p) for p in include):
            chosen.append(link)
        elif not include and not link.loopback:
            chosen.append(link)
    return chosen


class LinkWatcher:
    """Calls `on_change(links)` with a fresh snapshot whenever a link or address changes.

    Each notification triggers a full re-read instead of applying the message as a delta: the
    tables are small and a re-read cannot drift from the kernel after a missed message."""

    def __init__(self, on_change: Callable[[dict[str, Link]], None], *,
                 poll_interval: float = 0.5) -> None:
        self._on_change = on_change
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.links: dict[str, Link] = {}
        self.health = ThreadHealth("link watcher")

    def start(self) -> None:
        self._events = IPRoute()
        self._events.bind(groups=RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
        self._query = IPRoute()
        self.links = snapshot(self._query)
        self._thread = threading.Thread(target=self._run, name="link-watcher", daemon=True)
        self._thread.start()
        self.health.watch(self._thread)

    def _run(self) -> None:
        # A speaker that stops seeing carrier loss keeps announcing from a dead link: nothing
        # may end this thread but stop(), and a watcher that keeps failing is reported.
        while not self._stop.is_set():
            try:
                self._step()
                self.health.ok()
            except Exception as exc:  # noqa: BLE001
                log.exception("link watcher: a pass failed")
                self.health.failed(exc)
                self._stop.wait(self._poll_interval)

    def _step(self) -> None:
        readable, _, _ = select.select([self._events.fileno()], [], [], self._poll_interval)
        if not readable:
            return
        try:
            self._events.get()
        except OSError:
            return
        links = snapshot(self._query)
        if links != self.links:
            self.links = links
            self._on_change(links)

    def stop(self) -> None:
        self.health.stopped()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._events.close()
        self._query.close()
