"""The data path of the layer-2 failover bench, run inside lab namespaces with `ip netns exec`.

    respond NODE VIP PORT              (in xl-nodeN) answer every UDP datagram to VIP:PORT with
                                       NODE's name and the datagram's sequence number
    arp VIP IFACE SECONDS              (in xl-client) ask "who has VIP" every 50 ms for SECONDS;
                                       print each MAC that answered and how often
    probe VIP PORT INTERVAL            (in xl-client) send a numbered datagram to VIP:PORT every
                                       INTERVAL s until stdin closes; print one line per answer:
                                       "<receive time, CLOCK_MONOTONIC s> <node> <seq>"

CLOCK_MONOTONIC is not namespaced by network namespaces, so the bench compares these times with
its own time.monotonic() (when it killed a speaker or cut a link). Plain stdlib on purpose: the
data path must not depend on the package under test.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time

HEADER = struct.Struct("!Q")
IP_FREEBIND = 15  # linux/in.h; Python's socket module does not export it


def respond(node: str, vip: str, port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Bound to the VIP, so answers come from it (the client's connected socket drops others);
    # FREEBIND: the bench takes the VIP off lo and puts it back while this keeps running.
    sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
    sock.bind((vip, port))
    name = node.encode()
    print("ready", flush=True)
    while True:
        data, peer = sock.recvfrom(64)
        if len(data) >= HEADER.size:
            sock.sendto(data[:HEADER.size] + name, peer)


def probe(vip: str, port: int, interval: float) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((vip, port))
    stop = threading.Event()

    def receive() -> None:
        while not stop.is_set():
            try:
                data = sock.recv(64)
            except ConnectionRefusedError:
                continue  # an ICMP error for an earlier probe: not an answer
            except OSError:
                return
            now = time.monotonic()
            seq = HEADER.unpack_from(data)[0]
            sys.stdout.write(f"{now:.6f} {data[HEADER.size:].decode()} {seq}\n")
            sys.stdout.flush()

    threading.Thread(target=receive, daemon=True).start()
    def until_stdin_closes() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    seq = 0
    next_send = time.monotonic()
    while not stop.is_set():
        try:
            sock.send(HEADER.pack(seq))
        except OSError:
            pass  # e.g. EHOSTUNREACH while the VIP's neighbour entry is FAILED: a lost probe
        seq += 1
        next_send += interval
        time.sleep(max(0.0, next_send - time.monotonic()))


def who_has(vip: str, iface: str, seconds: float) -> None:
    """Who answers ARP for the VIP right now, whatever the client's neighbour cache says."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    sock.bind((iface, 0))
    mac = sock.getsockname()[4][:6]
    own_ip = socket.inet_aton(_first_ipv4(iface))
    target = socket.inet_aton(vip)
    request = (b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
               + mac + own_ip + b"\x00" * 6 + target)
    sock.settimeout(0.05)
    answers: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.send(request)
        end = time.monotonic() + 0.05
        while (left := end - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                frame = sock.recv(128)
            except TimeoutError:
                break
            # ARP reply (op 2) whose sender protocol address is the VIP
            if frame[20:22] == b"\x00\x02" and frame[28:32] == target:
                sender = frame[22:28].hex(":")
                answers[sender] = answers.get(sender, 0) + 1
    print(" ".join(f"{m}={n}" for m, n in sorted(answers.items())), flush=True)


def _first_ipv4(iface: str) -> str:
    import fcntl  # SIOCGIFADDR: the interface's primary IPv4 address
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        raw = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", iface.encode()[:15]))
    return socket.inet_ntoa(raw[20:24])


def main(argv: list[str]) -> None:
    if argv[:1] == ["respond"] and len(argv) == 4:
        respond(argv[1], argv[2], int(argv[3]))
    elif argv[:1] == ["arp"] and len(argv) == 4:
        who_has(argv[1], argv[2], float(argv[3]))
    elif argv[:1] == ["probe"] and len(argv) == 4:
        probe(argv[1], int(argv[2]), float(argv[3]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
