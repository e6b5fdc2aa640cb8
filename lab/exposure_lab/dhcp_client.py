"""A real DHCP client (busybox udhcpc) on the `client` side, leasing with a chosen MAC.

Each lease is taken on a short-lived macvlan link carrying the chosen MAC, so one namespace can
act as hundreds of distinct clients. The lease stays on the server: the client never configures
the address, so it could not send a DHCPRELEASE from it (tests free leases through the
server: Kea's lease4-del, dnsmasq's lease file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .core import Lab

# udhcpc calls this with the event as $1 and the lease in its environment. It only reports:
# the macvlan is deleted right after, so configuring an address would be pointless.
_SCRIPT = """#!/bin/sh
case "$1" in
  bound|renew) echo "LEASE ip=$ip serverid=$serverid router=$router lease=$lease" ;;
esac
exit 0
"""

_LEASE = re.compile(r"LEASE ip=(\S+) serverid=(\S*) router=(\S*) lease=(\S*)")


@dataclass(frozen=True)
class Lease:
    mac: str
    ip: str
    server: str
    router: str
    seconds: int


def client_mac(prefix: str, number: int) -> str:
    """The `number`-th client MAC under a backend's prefix (see LabConfig)."""
    if not 0 <= number < 1 << 16:
        raise ValueError("client number out of range")
    return f"{prefix}:{number >> 8:02x}:{number & 0xFF:02x}"


def acquire(lab: Lab, mac: str, timeout: int = 3) -> Lease | None:
    """Run one DHCP exchange from the client namespace with `mac`; None if nobody offered."""
    netns = lab.config.client.netns
    script = lab.config.run_dir / "client" / "udhcpc.script"
    if not script.exists():
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(_SCRIPT)
        script.chmod(0o755)
    link = "dc" + mac.replace(":", "")[-10:]  # unique per MAC, within IFNAMSIZ
    lab.run(["ip", "link", "add", "link", "eth0", "name", link, "address", mac, "type",
             "macvlan", "mode", "bridge"], netns=netns)
    try:
        lab.run(["ip", "link", "set", link, "up"], netns=netns)
        argv = ["busybox", "udhcpc", "-f", "-q", "-n", "-i", link, "-s", str(script),
                "-t", str(timeout), "-T", "1", "-A", "1"]
        out = lab.run(argv, netns=netns, check=False, timeout=timeout * 2 + 10)
    finally:
        lab.run(["ip", "link", "del", link], netns=netns, check=False)
    match = _LEASE.search(out.stdout)
    if not match:
        return None
    ip, server, router, seconds = match.groups()
    return Lease(mac=mac, ip=ip, server=server, router=router, seconds=int(seconds or 0))
