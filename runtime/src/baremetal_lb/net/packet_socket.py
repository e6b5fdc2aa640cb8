"""AF_PACKET sockets bound to one interface and one ethertype (Linux only; needs CAP_NET_RAW)."""

from __future__ import annotations

import ctypes
import errno
import select
import socket
import struct
from types import TracebackType

from .ethernet import ETH_P_IPV6

SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_DROP_MEMBERSHIP = 2
PACKET_MR_MULTICAST = 0
_LINK_ERRORS = (errno.ENETDOWN, errno.ENXIO, errno.ENODEV)
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26

# Classic BPF (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k) keeping only ICMPv6 NS/NA on a
# socket bound to ETH_P_IPV6, so a busy IPv6 host does not wake the responder for every packet.
# Offsets count from the Ethernet header: 20 = IPv6 next header, 54 = ICMPv6 type.
_LDB_ABS, _JEQ_K, _RET_K = 0x30, 0x15, 0x06
NDP_FILTER: tuple[tuple[int, int, int, int], ...] = (
    (_LDB_ABS, 0, 0, 20),
    (_JEQ_K, 0, 4, 58),
    (_LDB_ABS, 0, 0, 54),
    (_JEQ_K, 1, 0, 135),
    (_JEQ_K, 0, 1, 136),
    (_RET_K, 0, 0, 0x40000),
    (_RET_K, 0, 0, 0),
)


def _attach_filter(sock: socket.socket, program: tuple[tuple[int, int, int, int], ...]) -> None:
    code = b"".join(struct.pack("HBBI", *insn) for insn in program)
    buffer = ctypes.create_string_buffer(code)
    fprog = struct.pack("HL", len(program), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


class PacketSocket:
    """Raw Ethernet frames of one ethertype on one interface. Frames this host sends itself are
    never returned by `recv`, so a responder does not see its own replies."""

    def __init__(self, interface: str, ethertype: int) -> None:
        self.interface = interface
        self.ethertype = ethertype
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ethertype))
        try:
            if ethertype == ETH_P_IPV6:
                _attach_filter(self._sock, NDP_FILTER)
            self._sock.bind((interface, ethertype))
            self._sock.setblocking(False)
            self.ifindex = socket.if_nametoindex(interface)
        except OSError:
            self._sock.close()
            raise

    def fileno(self) -> int:
        return self._sock.fileno()

    def send(self, frame: bytes) -> None:
        self._sock.send(frame)

    def recv(self, timeout: float | None = 0.0) -> bytes | None:
        """One received frame, or None if none arrived within `timeout` seconds."""
        while True:
            readable, _, _ = select.select([self._sock], [], [], timeout)
            if not readable:
                return None
            try:
                data, address = self._sock.recvfrom(65535)
            except BlockingIOError:
                continue
            except OSError as err:
                # The link went down (ENETDOWN) or away: the kernel reports it once on the
                # socket, which keeps working when the link comes back. Not a frame.
                if err.errno in _LINK_ERRORS:
                    return None
                raise
            if address[2] != PACKET_OUTGOING:
                return data
            timeout = 0.0

    def receive_ready(self) -> list[bytes]:
        """Every frame already queued, without waiting."""
        frames = []
        while (data := self.recv(0.0)) is not None:
            frames.append(data)
        return frames

    def _membership(self, option: int, mac: bytes) -> None:
        mreq = struct.pack("iHH8s", self.ifindex, PACKET_MR_MULTICAST, len(mac), mac)
        self._sock.setsockopt(SOL_PACKET, option, mreq)

    def join_multicast(self, mac: bytes) -> None:
        """Let frames to multicast `mac` through the NIC's filter (e.g. a solicited-node group
        for an address the kernel itself does not hold); dropped when the socket closes."""
        self._membership(PACKET_ADD_MEMBERSHIP, mac)

    def leave_multicast(self, mac: bytes) -> None:
        self._membership(PACKET_DROP_MEMBERSHIP, mac)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> PacketSocket:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
