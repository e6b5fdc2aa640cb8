"""The Lab object: run commands in namespaces, start daemons we own, stop them by PID."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .config import LabConfig
from .state import LabState, ProcessRecord, process_start_ticks

T = TypeVar("T")


class LabError(RuntimeError):
    """Something in the lab did not come up or go down as it should."""


class Service(Protocol):
    """One part of the lab. `up` is idempotent; `down` removes everything `up` made."""

    name: str

    def up(self, lab: Lab) -> None: ...

    def down(self, lab: Lab) -> None: ...

    def status(self, lab: Lab) -> dict[str, Any]: ...


def netns_argv(netns: str | None, argv: Sequence[str]) -> list[str]:
    # `ip netns exec` execs the command, so the PID we get is the daemon's own PID.
    return ["ip", "netns", "exec", netns, *argv] if netns else list(argv)


class Lab:
    def __init__(self, config: LabConfig) -> None:
        self.config = config

    # -- state ------------------------------------------------------------------------------
    @property
    def state(self) -> LabState:
        """A fresh read: other processes (tests, `lab restart`) change the lab too."""
        return LabState.load(self.config.state_file)

    @contextmanager
    def transaction(self) -> Iterator[LabState]:
        """Read-modify-write of the state file under a lock, so concurrent users of one lab
        never lose each other's records (a lost PID is a process nobody will stop)."""
        self.config.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.config.run_dir / ".state.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = LabState.load(self.config.state_file)
            yield state
            state.save()

    # -- plain commands ---------------------------------------------------------------------
    def run(
        self,
        argv: Sequence[str],
        netns: str | None = None,
        check: bool = True,
        input: str | None = None,
        timeout: float = 120,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full = ["runuser", "-u", user, "--", *argv] if user else list(argv)
        full = netns_argv(netns, full)
        proc = subprocess.run(
            full,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **env} if env else None,
            check=False,
        )
        if check and proc.returncode != 0:
            raise LabError(
                f"command failed ({proc.returncode}): {' '.join(full)}\n{proc.stdout}{proc.stderr}"
            )
        return proc

    # -- daemons ----------------------------------------------------------------------------
    @property
    def log_dir(self) -> Path:
        return self.config.run_dir / "logs"

    def spawn(
        self,
        key: str,
        argv: Sequence[str],
        netns: str | None = None,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
        cwd: str | Path | None = None,
    ) -> ProcessRecord:
        """Start a foreground daemon in its own session and remember its PID.

        Idempotent: a live process already recorded under `key` is left alone.
        """
        existing = self.state.processes.get(key)
        if existing and existing.alive():
            return existing
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{key}.log"
        full = list(argv)
        if user:
            # setpriv execs the daemon itself (runuser would stay in between as the recorded PID
            # and kill the daemon's children uncleanly when signalled).
            full = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--", *full]
        full = netns_argv(netns, full)
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                full,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env} if env else None,
                cwd=cwd,
                start_new_session=True,
            )
        ticks = None
        for _ in range(50):
            ticks = process_start_ticks(proc.pid)
            if ticks is not None:
                break
            time.sleep(0.01)
        if ticks is None:
            raise LabError(f"{key} exited at once; see {log_path}:\n{tail(log_path)}")
        record = ProcessRecord(
            pid=proc.pid, start_ticks=ticks, argv=full, netns=netns, log=str(log_path)
        )
        with self.transaction() as state:
            state.processes[key] = record
        # Popen objects we drop would otherwise warn; the process lives on in its own session.
        proc.returncode = 0
        return record

    def stop(self, key: str, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Stop one recorded process by PID (only if it is still the process we started)."""
        record = self.state.processes.get(key)
        if record is None:
            return
        if record.alive():
            try:
                os.kill(record.pid, sig)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            while record.alive() and time.monotonic() < deadline:
                _reap(record.pid)
                time.sleep(0.05)
            if record.alive():
                os.kill(record.pid, signal.SIGKILL)
                while record.alive():
                    _reap(record.pid)
                    time.sleep(0.02)
        _reap(record.pid)
        with self.transaction() as state:
            state.processes.pop(key, None)

    def alive(self, key: str) -> bool:
        record = self.state.processes.get(key)
        return bool(record and record.alive())

    def pid(self, key: str) -> int | None:
        record = self.state.processes.get(key)
        return record.pid if record and record.alive() else None

    # -- bookkeeping -----------------------------------------------------------------------
    def record(self, service: str, info: dict[str, Any]) -> None:
        with self.transaction() as state:
            state.services[service] = info

    def forget(self, service: str) -> None:
        if self.config.state_file.exists():
            with self.transaction() as state:
                state.services.pop(service, None)

    def info(self, service: str) -> dict[str, Any]:
        return self.state.services.get(service, {})


def _reap(pid: int) -> None:
    # Children of this Python process become zombies until waited for.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    timeout: float = 30,
    interval: float = 0.05,
    on_timeout: Callable[[], str] | None = None,
) -> T:
    """Poll `probe` until it returns something truthy; raise LabError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = probe()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - the probe's failures are the point
            last_error = exc
        if time.monotonic() > deadline:
            detail = on_timeout() if on_timeout else ""
            raise LabError(
                f"timed out after {timeout}s waiting for {what}"
                + (f" (last error: {last_error})" if last_error else "")
                + (f"\n{detail}" if detail else "")
            )
        time.sleep(interval)


def tail(path: str | Path, lines: int = 30) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
