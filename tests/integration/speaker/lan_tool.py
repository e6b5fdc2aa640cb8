"""The client's side of the speaker tests, run inside a lab namespace with `ip netns exec`.

    probe IFACE IP DURATION [INTERVAL]   ask who has IP (ARP or NS) every INTERVAL s; print each
                                         answer and each announcement for IP as a JSON line
    announce IFACE IP                    claim IP from IFACE's MAC (gratuitous ARP / unsolicited NA)
    capture PORT TIMEOUT                 print the first UDP broadcast datagram on PORT as hex
    send IFACE PORT HEX...               broadcast datagrams on IFACE to PORT
    forge IFACE PORT NODE KEYHEX AGE_MS  broadcast a heartbeat for NODE signed with KEYHEX, sent
                                         AGE_MS milliseconds ago
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
import time

from baremetal_lb.liveness.service import open_socket
from baremetal_lb.liveness.wire import Heartbeat, encode
from baremetal_lb.net import arp, ndp
from baremetal_lb.net.ethernet import ETH_P_ARP, ETH_P_IPV6, format_mac
from baremetal_lb.net.links import snapshot
from baremetal_lb.net.packet_socket import PacketSocket


def out(**fields: object) -> None:
    print(json.dumps({"t": time.monotonic(), **fields}), flush=True)


def probe(interface: str, text: str, duration: float, interval: float) -> None:
    link = snapshot()[interface]
    ip = ipaddress.ip_address(text)
    if isinstance(ip, ipaddress.IPv4Address):
        sock = PacketSocket(interface, ETH_P_ARP)
        question = arp.request(link.mac, link.ipv4[0].ip, ip)
    else:
        sock = PacketSocket(interface, ETH_P_IPV6)
        sock.join_multicast(ndp.multicast_mac(ndp.ALL_NODES))
        source = next(a.ip for a in link.ipv6 if not a.ip.is_link_local)
        question = ndp.solicit(link.mac, source, ip)
    end = time.monotonic() + duration
    next_ask = time.monotonic()
    while (now := time.monotonic()) < end:
        if now >= next_ask:
            sock.send(question)
            next_ask = now + interval
        data = sock.recv(max(0.0, min(next_ask, end) - time.monotonic()))
        if data is None:
            continue
        if isinstance(ip, ipaddress.IPv4Address):
            decoded = arp.decode_frame(data)
            if decoded is None or decoded[1].sender_ip != ip:
                continue
            kind = "announce" if decoded[1].is_announcement else "reply"
            out(kind=kind, mac=format_mac(decoded[1].sender_mac))
        else:
            packet = ndp.decode_frame(data)
            if (packet is None or not isinstance(packet.message, ndp.NeighborAdvertisement)
                    or packet.message.target != ip):
                continue
            kind = "reply" if packet.message.solicited else "announce"
            out(kind=kind, mac=format_mac(packet.message.target_mac or packet.src_mac))
    sock.close()


def announce(interface: str, text: str) -> None:
    link = snapshot()[interface]
    ip = ipaddress.ip_address(text)
    if isinstance(ip, ipaddress.IPv4Address):
        frame = arp.announcement(link.mac, ip)
    else:
        frame = ndp.unsolicited_advert(link.mac, link.link_local or ip, ip)
    with PacketSocket(interface, ETH_P_ARP) as sock:
        sock.send(frame)
    out(kind="announced", mac=format_mac(link.mac))


def capture(port: int, timeout: float) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("", port))
    sock.settimeout(timeout)
    data, source = sock.recvfrom(2048)
    out(kind="datagram", hex=data.hex(), source=source[0])


def send(interface: str, port: int, datagrams: list[bytes]) -> None:
    sock, destination = open_socket(interface, port, 4)
    for data in datagrams:
        sock.sendto(data, (destination[0], port))
    sock.close()
    out(kind="sent", count=len(datagrams))


def forge(interface: str, port: int, node: str, key: bytes, age_ms: int) -> None:
    mac = snapshot()[interface].mac
    now_ms = time.time_ns() // 1_000_000
    beats = [encode(Heartbeat(node, time.time_ns(), seq, now_ms - age_ms, 5000, mac), 1, key)
             for seq in range(1, 4)]
    send(interface, port, beats)


def main(argv: list[str]) -> None:
    command, args = argv[0], argv[1:]
    if command == "probe":
        probe(args[0], args[1], float(args[2]), float(args[3]) if len(args) > 3 else 0.02)
    elif command == "announce":
        announce(args[0], args[1])
    elif command == "capture":
        capture(int(args[0]), float(args[1]))
    elif command == "send":
        send(args[0], int(args[1]), [bytes.fromhex(h) for h in args[2:]])
    elif command == "forge":
        forge(args[0], int(args[1]), args[2], bytes.fromhex(args[3]), int(args[4]))
    else:
        raise SystemExit(f"unknown command {command!r}; see the module docstring")


if __name__ == "__main__":
    main(sys.argv[1:])
