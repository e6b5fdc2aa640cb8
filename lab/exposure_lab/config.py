"""The lab's fixed plan: names, addresses and paths.

Everything lives in documentation address space (RFC 5737 / RFC 3849) so that no lab packet can
ever be mistaken for real traffic, and nothing in the lab has a default route out.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

LAN_V4 = ipaddress.ip_network("198.51.100.0/24")
LAN_V6 = ipaddress.ip_network("2001:db8:100::/64")
# Pools announced by BGP live outside the LAN, so the router can only reach them through a node.
BGP_POOL_V4 = ipaddress.ip_network("203.0.113.0/24")

ROUTER_ASN = 64512
CLUSTER_ASN = 64513

MAX_NODES = 60


def _default_run_dir() -> Path:
    return Path(os.environ.get("EXPOSURE_LAB_DIR", "/run/exposure-lab"))


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("EXPOSURE_LAB_CACHE", str(Path(base) / "baremetal-exposure")))


@dataclass(frozen=True)
class Host:
    """One namespace attached to the LAN bridge."""

    name: str  # short role name: router, dhcp, client, node1...
    netns: str  # the namespace name (prefixed)
    ipv4: str | None  # None for a host that takes its address from DHCP
    ipv6: str | None
    mac: str
    index: int  # stable small integer, used for MACs and veth names


@dataclass(frozen=True)
class LabConfig:
    nodes: int = 3
    # Real nodes (containerd + kubelet per node namespace) by default; KWOK's paper nodes for
    # node counts real ones would not fit (scale benches), where nothing a pod runs is real.
    kwok: bool = False
    prefix: str = "xl"
    run_dir: Path = field(default_factory=_default_run_dir)
    cache_dir: Path = field(default_factory=_default_cache_dir)

    def __post_init__(self) -> None:
        if not 1 <= self.nodes <= MAX_NODES:
            raise ValueError(f"nodes must be between 1 and {MAX_NODES}, got {self.nodes}")
        if not self.prefix.isalnum() or len(self.prefix) > 4:
            raise ValueError("prefix must be 1-4 alphanumeric characters (veth names are short)")

    # -- namespaces -------------------------------------------------------------------------
    @property
    def lan_netns(self) -> str:
        return f"{self.prefix}-lan"

    @property
    def bridge(self) -> str:
        return "br-lan"

    @property
    def gateway_v4(self) -> str:
        return str(LAN_V4.network_address + 1)

    @property
    def gateway_v6(self) -> str:
        return str(LAN_V6.network_address + 1)

    @property
    def mgmt_ipv4(self) -> str:
        """The root namespace's address on the LAN: where Ansible and the apiserver sit."""
        return str(LAN_V4.network_address + 250)

    @property
    def mgmt_ipv6(self) -> str:
        return str(LAN_V6.network_address + 250)

    @property
    def mgmt_veth(self) -> str:
        return f"{self.prefix}-mgmt"

    @property
    def mgmt_mac(self) -> str:
        return "02:00:5e:10:00:fa"

    def _host(self, name: str, index: int, last_octet: int | None) -> Host:
        return Host(
            name=name,
            netns=f"{self.prefix}-{name}",
            ipv4=None if last_octet is None else str(LAN_V4.network_address + last_octet),
            ipv6=None if last_octet is None else str(LAN_V6.network_address + last_octet),
            # Locally administered, unicast, and readable: the last byte is the host index.
            mac=f"02:00:5e:10:00:{index:02x}",
            index=index,
        )

    @property
    def router(self) -> Host:
        return self._host("router", 1, 1)

    @property
    def dhcp(self) -> Host:
        return self._host("dhcp", 2, 2)

    @property
    def dnsmasq(self) -> Host:
        # dnsmasq gets its own namespace: both servers bind UDP 67, and a site has one anyway.
        return self._host("dnsmasq", 4, 4)

    @property
    def client(self) -> Host:
        # The client keeps a static address for tests (curl, ping) and runs DHCP clients on
        # extra macvlan links with chosen MACs.
        return self._host("client", 3, 3)

    @property
    def node_hosts(self) -> list[Host]:
        # Nodes sit at .11 and up, so .5-.10 stay free for squatters and other test hosts.
        return [self._host(f"node{i}", 10 + i, 10 + i) for i in range(1, self.nodes + 1)]

    @property
    def hosts(self) -> list[Host]:
        return [self.router, self.dhcp, self.dnsmasq, self.client, *self.node_hosts]

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(f"no lab host named {name!r}")

    # -- DHCP plan ------------------------------------------------------------------------------
    @property
    def dhcp_range(self) -> tuple[str, str]:
        """The dynamic range both DHCP servers hand out before any reservation."""
        return (str(LAN_V4.network_address + 100), str(LAN_V4.network_address + 199))

    # Both servers share the LAN, so each answers only its own clients, told apart by MAC
    # prefix (Kea drops the dnsmasq prefix with its DROP class; dnsmasq ignores all others).
    KEA_CLIENT_MAC_PREFIX = "02:00:5e:30"
    DNSMASQ_CLIENT_MAC_PREFIX = "02:00:5e:40"

    # -- paths --------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    def service_dir(self, service: str) -> Path:
        return self.run_dir / service

    @property
    def bin_cache(self) -> Path:
        return self.cache_dir / "bin"
