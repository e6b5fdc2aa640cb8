"""FrrEngine: drives an FRR instance (bgpd, bfdd, zebra) through its vty sockets.

The first apply, and any change beyond the announced prefixes and their policies (peers,
timers, BFD profiles), goes through frr-reload.py, FRR's own diff-and-apply, which changes
only what differs. Announcement-only changes skip it: the engine knows what it applied last,
so it sends the few `network` / prefix-list / route-map lines straight to the daemons' vty
sockets (about 1 ms; through vtysh 60-200 ms; frr-reload.py takes ~1 s). Either way sessions are
not reset. The rendered file is also written to <frr_dir>/frr.conf so daemons restarted with
`-f` come back with it.

BFD gate: a peer with BFD is sent nothing until bgpd reports that peer's BFD session Up (see
render.py, "Holding a peer"). A small thread watches bgpd's view of BFD (`show bgp neighbors
json` over bgpd's vty socket, under a millisecond) every GATE_POLL_HELD seconds while a peer is
held and every GATE_POLL_OPEN seconds otherwise, and re-applies the last config when a peer's
BFD state changes; the switch is a one-line delta.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from baremetal_lb.health import ThreadHealth

from .engine import BgpEngineError, PeerState
from .model import BgpConfig, Peer
from .render import FrrConfig, delta, flatten, render
from .vty import Group, Vty, VtyError, configure

log = logging.getLogger(__name__)
Runner = Callable[[Sequence[str], float], tuple[int, str]]
VtySender = Callable[[Path, Sequence[Group]], None]
RELOAD = ("python3", "/usr/lib/frr/frr-reload.py")
# Re-issuing a per-neighbor graceful-restart is refused by bgpd even when it is already set,
# and frr-reload.py's second pass re-issues every line its first pass added.
_HARMLESS = ("neighbor", "graceful-restart")
# A BFD session comes Up no sooner than about a second after BGP is Established (bfdd's slow
# start), and goes Down 3 x its interval after a failure: polling at these rates holds a peer
# again long before a reconnecting session could send anything.
GATE_POLL_HELD = 0.1
GATE_POLL_OPEN = 0.25


def run_command(argv: Sequence[str], timeout: float) -> tuple[int, str]:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, f"{argv[0]}: {exc}"
    return done.returncode, done.stdout + done.stderr


class FrrEngine:
    def __init__(self, frr_dir: str | os.PathLike[str], *, vtysh: Sequence[str] = ("vtysh",),
                 reload: Sequence[str] = RELOAD, bindir: str = "/usr/bin",
                 timeout: float = 30.0, runner: Runner = run_command,
                 vty: VtySender | None = configure, bfd_gate: bool = True,
                 watch_bfd: bool = True) -> None:
        """`vty=None` sends deltas through vtysh instead of the daemons' sockets.
        `bfd_gate=False` announces to BFD peers at once; `watch_bfd=False` leaves polling to
        the caller (`refresh_bfd`), for tests."""
        self.dir = Path(frr_dir)
        self._vtysh = [*vtysh, "--vty_socket", str(self.dir), "--config_dir", str(self.dir)]
        self._reload = [*reload, "--reload", "--stdout", "--bindir", bindir, "--confdir",
                        str(self.dir), "--rundir", str(self.dir), "--vty_socket", str(self.dir)]
        self._timeout = timeout
        self._run = runner
        self._vty = vty
        self._lock = threading.Lock()
        self._applied: FrrConfig | None = None
        self._peers: tuple[Peer, ...] = ()
        self._desired: BgpConfig | None = None
        self._bfd_up: frozenset[str] = frozenset()     # addresses bgpd reports BFD Up for
        self._gate: threading.Thread | None = None      # runs while _gate_wanted()
        self._gate_health = ThreadHealth("FRR BFD gate")
        self._closed = threading.Event()
        self._bfd_gate, self._watch = bfd_gate, watch_bfd
        self.fast_applies = 0        # announcement-only deltas (vty sockets or vtysh)
        self.full_reloads = 0        # frr-reload.py runs

    @property
    def conf(self) -> Path:
        return self.dir / "frr.conf"

    def apply(self, config: BgpConfig) -> None:
        with self._lock:
            self._closed.clear()
            self._desired = config
            try:
                self._apply_locked(config)
            finally:
                # Started under the lock: the gate decides to end under it too, so it can
                # never end just as a config with BFD peers arrives (see _watch_bfd).
                if self._gate_wanted():
                    self._start_gate()

    def healths(self) -> list[ThreadHealth]:
        """The BFD gate's, while one should run (a BFD peer is configured)."""
        with self._lock:
            return [self._gate_health] if self._gate_wanted() else []

    def held(self) -> frozenset[str]:
        """Addresses of the peers sent nothing until their BFD session is Up."""
        with self._lock:
            return self._applied.held if self._applied is not None else frozenset()

    def _apply_locked(self, config: BgpConfig) -> None:
        held = {str(p.address) for p in config.peers
                if self._bfd_gate and p.bfd and str(p.address) not in self._bfd_up}
        rendered = render(config, held=held)
        if rendered == self._applied:
            return
        self._install(config, rendered)

    def _install(self, config: BgpConfig, rendered: FrrConfig) -> None:
        self._write(rendered.text())
        groups = None if self._applied is None else delta(self._applied, rendered)
        if groups is not None:
            refused = self._send(groups)
            if refused is None:
                self.fast_applies += 1
                self._applied, self._peers = rendered, config.peers
                return
            log.warning("FRR refused an announcement delta (%s); reloading the full "
                        "configuration", refused)
        self._applied = None
        self.full_reloads += 1
        code, output = self._run([*self._reload, str(self.conf)], self._timeout)
        if code != 0 and not _only_harmless_failures(output):
            raise BgpEngineError(f"frr-reload.py on {self.conf} failed with exit status "
                                 f"{code}: {_tail(output)}")
        self._applied, self._peers = rendered, config.peers

    def _send(self, groups: Sequence[Group]) -> str | None:
        """None when applied, else why not."""
        if self._vty is not None:
            try:
                self._vty(self.dir, groups)
                return None
            except (VtyError, OSError) as exc:
                return str(exc)
        code, output = self._run([*self._vtysh, "-c", "configure terminal",
                                  *(arg for c in flatten(groups) for arg in ("-c", c))],
                                 self._timeout)
        return None if code == 0 else _tail(output)

    def forget(self) -> None:
        """Next apply does a full reload (e.g. after the daemons restarted)."""
        with self._lock:
            self._applied = None
            self._bfd_up = frozenset()

    # -- BFD gate ---------------------------------------------------------------------------

    def _gate_wanted(self) -> bool:
        """Under the lock: whether the BFD gate thread should run now."""
        return self._bfd_gate and self._watch and not self._closed.is_set() \
            and self._desired is not None and any(p.bfd for p in self._desired.peers)

    def _start_gate(self) -> None:
        """Under the lock. A gate that died is started again by the next apply; until then
        healths() reports it."""
        if self._gate is not None and self._gate.is_alive():
            return
        self._gate = threading.Thread(target=self._watch_bfd, name="frr-bfd-gate", daemon=True)
        self._gate.start()
        self._gate_health.watch(self._gate)

    def _watch_bfd(self) -> None:
        while not self._closed.is_set():
            try:
                watching = self.refresh_bfd()
                self._gate_health.ok()
            except Exception as exc:  # noqa: BLE001 - the gate must outlive one bad poll
                log.exception("BFD gate: a poll failed")
                self._gate_health.failed(exc)
                watching = True
            if not watching:
                with self._lock:
                    if not self._gate_wanted():
                        self._gate = None      # apply() starts a new one when wanted
                        self._gate_health.stopped()
                        return
            self._closed.wait(GATE_POLL_HELD if self.held() else GATE_POLL_OPEN)

    def refresh_bfd(self) -> bool:
        """Read bgpd's BFD states once and hold or release peers accordingly. False when no
        applied peer uses BFD (nothing to watch)."""
        with self._lock:
            config = self._desired
        if config is None or not any(p.bfd for p in config.peers):
            return False
        try:
            up = self._bfd_up_now(config)
        except (BgpEngineError, VtyError, OSError, ValueError) as exc:
            log.debug("BFD gate: cannot read bgpd's BFD state: %s", exc)
            up = frozenset()
        with self._lock:
            if up != self._bfd_up and self._desired is config:
                self._bfd_up = up
                try:
                    self._apply_locked(config)
                except BgpEngineError as exc:
                    log.warning("BFD gate: could not apply: %s", exc)
        return True

    def _bfd_up_now(self, config: BgpConfig) -> frozenset[str]:
        neighbors = self._show_bgpd("show bgp neighbors json")
        up = set()
        for peer in config.peers:
            data = neighbors.get(str(peer.address), {}) if isinstance(neighbors, dict) else {}
            info = data.get("peerBfdInfo", {}) if isinstance(data, dict) else {}
            if peer.bfd and isinstance(info, dict) and info.get("status") == "Up":
                up.add(str(peer.address))
        return frozenset(up)

    def _show_bgpd(self, command: str) -> Any:
        """JSON from bgpd: straight over its vty socket (under a ms), else through vtysh."""
        if self._vty is None:
            return self._json(command)
        vty = Vty(self.dir / "bgpd.vty")
        try:
            status, output = vty.run(command)
        finally:
            vty.close()
        if status != 0:
            raise BgpEngineError(f"bgpd refused {command!r} (status {status}): {output}")
        return json.loads(output or "{}")

    def peer_states(self) -> dict[str, PeerState]:
        with self._lock:
            peers = self._peers
        if not peers:
            return {}
        neighbors = self._json("show bgp neighbors json")
        bfd = self._json("show bfd peers json") if any(p.bfd for p in peers) else []
        bfd_by_address = {str(entry.get("peer")): str(entry.get("status"))
                          for entry in bfd if isinstance(entry, dict)}
        states = {}
        for peer in peers:
            data = neighbors.get(str(peer.address), {}) if isinstance(neighbors, dict) else {}
            state = str(data.get("bgpState", "Unknown"))
            states[peer.name] = PeerState(
                bgp_state=state[:1].upper() + state[1:],
                bfd_state=bfd_by_address.get(str(peer.address), "down") if peer.bfd else None,
                established_count=int(data.get("connectionsEstablished", 0)),
                uptime_ms=int(data["bgpTimerUpMsec"]) if state.lower() == "established"
                and "bgpTimerUpMsec" in data else None,
                held=str(peer.address) in self.held())
        return states

    def close(self) -> None:
        self._closed.set()
        self._gate_health.stopped()
        with self._lock:
            self._applied = None
            self._peers = ()
            self._desired = None
            self._bfd_up = frozenset()

    def _json(self, command: str) -> Any:
        code, output = self._run([*self._vtysh, "-c", command], self._timeout)
        if code != 0:
            raise BgpEngineError(f"vtysh -c '{command}' in {self.dir} failed with exit status "
                                 f"{code}: {_tail(output)}")
        try:
            return json.loads(output or "{}")
        except json.JSONDecodeError as exc:
            raise BgpEngineError(f"vtysh -c '{command}' in {self.dir} did not answer JSON "
                                 f"({exc}): {_tail(output)}") from None

    def _write(self, text: str) -> None:
        """Atomically, keeping the owner of the file FRR's daemons read (usually frr:frr)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        owner = self.conf.stat() if self.conf.exists() else self.dir.stat()
        handle, temp = tempfile.mkstemp(prefix=".frr.conf.", dir=self.dir)
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text)
            # The file holds BGP passwords.
            os.chmod(temp, 0o640)
            if os.geteuid() == 0:
                os.chown(temp, owner.st_uid, owner.st_gid)
            os.replace(temp, self.conf)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _only_harmless_failures(output: str) -> bool:
    failed = [line.split(" line: ", 1)[1].split() for line in output.splitlines()
              if "Failure to communicate" in line and " line: " in line]
    return bool(failed) and all(
        words[:1] == [_HARMLESS[0]] and words[-1:] == [_HARMLESS[1]] for words in failed)


def _tail(output: str) -> str:
    """The last lines of FRR's output for an error message (logged, and shown by /healthz),
    with BGP passwords blanked: vtysh and frr-reload.py echo a refused line whole."""
    lines = [_PASSWORD.sub(r"\1<redacted>", line) for line in output.strip().splitlines()
             if line.strip()]
    return " | ".join(lines[-6:]) or "(no output)"


# `neighbor X password WORD`: the password is the rest of the line (one word: model.py).
_PASSWORD = re.compile(r"(\bpassword\s+)\S.*", re.IGNORECASE)
