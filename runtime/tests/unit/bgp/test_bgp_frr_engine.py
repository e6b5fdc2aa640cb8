"""FrrEngine against a fake vtysh / frr-reload.py (the lab tests drive a real FRR)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from ipaddress import IPv4Address, ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest

from baremetal_lb.bgp.engine import BgpEngineError
from baremetal_lb.bgp.frr import FrrEngine
from baremetal_lb.bgp.model import Announcement, BfdProfile, BgpConfig, Peer
from baremetal_lb.bgp.vty import VtyError

PEER = Peer("router", ip_address("198.51.100.1"), 64512, 64513, bfd=BfdProfile("fast"))


def config(*prefixes: str, password: str | None = None) -> BgpConfig:
    peer = Peer("router", PEER.address, 64512, 64513, bfd=PEER.bfd, password=password)
    return BgpConfig(IPv4Address("198.51.100.11"), 64513, (peer,),
                     tuple(Announcement(ip_network(p)) for p in prefixes))


class FakeFrr:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.answers: list[tuple[int, str]] = []

    def __call__(self, argv: Sequence[str], timeout: float) -> tuple[int, str]:
        self.calls.append(list(argv))
        return self.answers.pop(0) if self.answers else (0, "")

    def kinds(self) -> list[str]:
        return ["reload" if "--reload" in c else "vtysh" for c in self.calls]


@pytest.fixture
def fake() -> FakeFrr:
    return FakeFrr()


@pytest.fixture
def engine(tmp_path: Path, fake: FakeFrr) -> FrrEngine:
    """Deltas through vtysh (the fake); the vty-socket path is covered by the lab tests. The
    BFD gate has tests of its own below."""
    return FrrEngine(tmp_path, runner=fake, vty=None, bfd_gate=False)


class FakeVty:
    def __init__(self, fail: str | None = None) -> None:
        self.sent: list[list[tuple[str, ...]]] = []
        self.fail = fail

    def __call__(self, frr_dir: Path, groups: Sequence[tuple[str, ...]]) -> None:
        if self.fail:
            raise VtyError(self.fail)
        self.sent.append(list(groups))


def test_deltas_go_to_the_vty_sockets_when_enabled(tmp_path: Path, fake: FakeFrr) -> None:
    vty = FakeVty()
    engine = FrrEngine(tmp_path, runner=fake, vty=vty, bfd_gate=False)
    engine.apply(config("203.0.113.240/32"))
    engine.apply(config("203.0.113.240/32", "203.0.113.241/32"))
    assert fake.kinds() == ["reload"]
    (groups,) = vty.sent
    assert ("router bgp 64513", "address-family ipv4 unicast", "network 203.0.113.241/32",
            "exit-address-family", "exit") in groups


def test_vty_failure_falls_back_to_a_reload(tmp_path: Path, fake: FakeFrr) -> None:
    engine = FrrEngine(tmp_path, runner=fake, vty=FakeVty(fail="bgpd refused 'network x'"),
                       bfd_gate=False)
    engine.apply(config("203.0.113.240/32"))
    engine.apply(config())
    assert fake.kinds() == ["reload", "reload"]


def test_first_apply_reloads_and_writes_the_file(engine: FrrEngine, fake: FakeFrr) -> None:
    engine.apply(config("203.0.113.240/32"))
    assert fake.kinds() == ["reload"]
    assert fake.calls[0][-1] == str(engine.conf)
    assert " network 203.0.113.240/32" in engine.conf.read_text()
    assert engine.conf.stat().st_mode & 0o777 == 0o640


def test_same_config_again_does_nothing(engine: FrrEngine, fake: FakeFrr) -> None:
    engine.apply(config("203.0.113.240/32"))
    engine.apply(config("203.0.113.240/32"))
    assert fake.kinds() == ["reload"]


def test_announcement_change_is_one_vtysh_delta(engine: FrrEngine, fake: FakeFrr) -> None:
    engine.apply(config("203.0.113.240/32"))
    engine.apply(config("203.0.113.240/32", "203.0.113.241/32"))
    assert fake.kinds() == ["reload", "vtysh"]
    argv = fake.calls[1]
    commands = argv[argv.index("-c") + 1::2]
    assert commands[0] == "configure terminal"
    assert "network 203.0.113.241/32" in commands
    assert not any("203.0.113.240/32" in c for c in commands)
    assert engine.fast_applies == 1 and engine.full_reloads == 1


def test_peer_change_reloads(engine: FrrEngine, fake: FakeFrr) -> None:
    engine.apply(config("203.0.113.240/32"))
    engine.apply(config("203.0.113.240/32", password="new-secret"))
    assert fake.kinds() == ["reload", "reload"]


def test_refused_delta_falls_back_to_a_reload(engine: FrrEngine, fake: FakeFrr) -> None:
    engine.apply(config("203.0.113.240/32"))
    fake.answers = [(1, "% Unknown command"), (0, "")]
    engine.apply(config())
    assert fake.kinds() == ["reload", "vtysh", "reload"]


def test_failed_reload_raises_and_the_next_apply_reloads(engine: FrrEngine,
                                                         fake: FakeFrr) -> None:
    fake.answers = [(1, "line 3: Failure to communicate[13] to bgpd, line:  neighbor 1.2.3.4 "
                        "remote-as 1\nvtysh (exec file) exited with status 13")]
    with pytest.raises(BgpEngineError, match="frr-reload.py on .* failed with exit status 1"):
        engine.apply(config("203.0.113.240/32"))
    engine.apply(config("203.0.113.240/32", "203.0.113.241/32"))
    assert fake.kinds() == ["reload", "reload"]


def test_reissued_graceful_restart_is_not_a_failure(engine: FrrEngine, fake: FakeFrr) -> None:
    fake.answers = [(1, "% The Graceful Restart command used is not valid at this moment.\n"
                        "line 102: Failure to communicate[13] to bgpd, line:  neighbor "
                        "198.51.100.1 graceful-restart\n")]
    engine.apply(config("203.0.113.240/32"))
    engine.apply(config("203.0.113.240/32", "203.0.113.241/32"))
    assert fake.kinds() == ["reload", "vtysh"]


def test_peer_states(engine: FrrEngine, fake: FakeFrr) -> None:
    engine.apply(config())
    fake.answers = [
        (0, json.dumps({"198.51.100.1": {"bgpState": "Established", "bgpTimerUpMsec": 1234,
                                         "connectionsEstablished": 2}})),
        (0, json.dumps([{"peer": "198.51.100.1", "status": "up"}])),
    ]
    state = engine.peer_states()["router"]
    assert state.established and state.bfd_state == "up"
    assert (state.established_count, state.uptime_ms) == (2, 1234)
    assert fake.calls[-2][-1] == "show bgp neighbors json"


def test_unreachable_daemon_is_reported(engine: FrrEngine, fake: FakeFrr) -> None:
    engine.apply(config())
    fake.answers = [(1, "Exiting: failed to connect to any daemons.")]
    with pytest.raises(BgpEngineError, match="failed to connect to any daemons"):
        engine.peer_states()


# -- BFD gate: nothing is announced to a BFD peer before bgpd reports its BFD session Up ---------

def bfd_status(status: str | None) -> tuple[int, str]:
    info = {} if status is None else {"peerBfdInfo": {"status": status}}
    return 0, json.dumps({"198.51.100.1": {"bgpState": "Established", **info}})


@pytest.fixture
def gated(tmp_path: Path, fake: FakeFrr) -> FrrEngine:
    """The gate on, polled by hand (refresh_bfd) instead of by its thread."""
    return FrrEngine(tmp_path, runner=fake, vty=None, watch_bfd=False)


def vtysh_commands(fake: FakeFrr, call: int) -> list[str]:
    argv = fake.calls[call]
    return argv[argv.index("-c") + 1::2]


def test_a_bfd_peer_is_held_until_bfd_is_up(gated: FrrEngine, fake: FakeFrr) -> None:
    gated.apply(config("203.0.113.240/32"))
    text = gated.conf.read_text()
    # Held: rendered as if nothing reached it (no route-map entry, no prefix-list), its
    # neighbor line unchanged (switching route-maps moves it to another update group).
    assert "  neighbor 198.51.100.1 route-map blb-out-router out" in text
    assert "route-map blb-out-router permit" not in text and "prefix-list blb-" not in text
    assert " network 203.0.113.240/32" in text
    assert gated.held() == {"198.51.100.1"}

    fake.answers = [bfd_status("Down")]
    assert gated.refresh_bfd()
    assert fake.kinds() == ["reload", "vtysh"]          # the poll only: still held

    fake.answers = [bfd_status("Up"), (0, "")]
    gated.refresh_bfd()
    assert fake.kinds() == ["reload", "vtysh", "vtysh", "vtysh"]
    released = vtysh_commands(fake, 3)
    assert "ip prefix-list" in " ".join(released) and "203.0.113.240/32" in " ".join(released)
    assert any(c.startswith("route-map blb-out-router permit") for c in released)
    # FRR 8.4 does not re-run outbound policy for prefixes it already originates: re-originate.
    assert released[-6:] == ["router bgp 64513", "address-family ipv4 unicast",
                             "no network 203.0.113.240/32", "network 203.0.113.240/32",
                             "exit-address-family", "exit"]
    assert gated.held() == frozenset()
    assert "route-map blb-out-router permit" in gated.conf.read_text()


def test_bfd_going_down_holds_the_peer_again(gated: FrrEngine, fake: FakeFrr) -> None:
    gated.apply(config("203.0.113.240/32"))
    fake.answers = [bfd_status("Up"), (0, "")]
    gated.refresh_bfd()
    fake.answers = [bfd_status("Down"), (0, "")]
    gated.refresh_bfd()
    held = vtysh_commands(fake, 4)
    assert any(c.startswith("no ip prefix-list") and "203.0.113.240/32" in c for c in held)
    assert any(c.startswith("no route-map blb-out-router permit") for c in held)
    assert gated.held() == {"198.51.100.1"}


def test_announcements_while_held_stay_held(gated: FrrEngine, fake: FakeFrr) -> None:
    gated.apply(config("203.0.113.240/32"))
    gated.apply(config("203.0.113.240/32", "203.0.113.241/32"))
    commands = vtysh_commands(fake, 1)
    assert "network 203.0.113.241/32" in commands
    assert not any("prefix-list" in c for c in commands)
    assert gated.held() == {"198.51.100.1"}


def test_unreadable_bfd_state_holds(gated: FrrEngine, fake: FakeFrr) -> None:
    gated.apply(config("203.0.113.240/32"))
    fake.answers = [(1, "Exiting: failed to connect to any daemons.")]
    gated.refresh_bfd()
    assert gated.held() == {"198.51.100.1"}


def test_peers_without_bfd_are_never_held(gated: FrrEngine, fake: FakeFrr) -> None:
    plain = Peer("router", PEER.address, 64512, 64513)
    gated.apply(BgpConfig(IPv4Address("198.51.100.11"), 64513, (plain,),
                          (Announcement(ip_network("203.0.113.240/32")),)))
    assert gated.held() == frozenset()
    assert not gated.refresh_bfd()                       # nothing to watch


class Crash(BaseException):
    """What no `except Exception` catches: the thread ends."""


def plain_config() -> BgpConfig:
    return BgpConfig(IPv4Address("198.51.100.11"), 64513,
                     (Peer("router", PEER.address, 64512, 64513),), ())


def wait_for(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_bfd_gate_is_reported_by_name(tmp_path: Path, fake: FakeFrr,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FrrEngine(tmp_path, runner=fake, vty=None)
    engine.apply(config("203.0.113.240/32"))
    (health,) = engine.healths()
    assert health.problem() is None

    def crash() -> bool:
        raise Crash("a bug in the gate")

    monkeypatch.setattr(engine, "refresh_bfd", crash)
    assert wait_for(lambda: health.problem() is not None)
    assert health.problem() == "FRR BFD gate: thread died"
    engine.close()
    assert engine.healths() == []


def test_a_failing_bfd_poll_does_not_end_the_gate(tmp_path: Path, fake: FakeFrr,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FrrEngine(tmp_path, runner=fake, vty=None)
    engine.apply(config("203.0.113.240/32"))
    calls: list[int] = []

    def fail() -> bool:
        calls.append(1)
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(engine, "refresh_bfd", fail)
    assert wait_for(lambda: len(calls) >= 3), "the gate stopped polling"
    (health,) = engine.healths()
    assert health.failing_for() > 0 and health.problem() is None   # within the grace
    engine.close()


def test_the_gate_runs_exactly_while_a_bfd_peer_is_configured(tmp_path: Path,
                                                             fake: FakeFrr) -> None:
    engine = FrrEngine(tmp_path, runner=fake, vty=None)
    engine.apply(plain_config())
    assert engine.healths() == []
    for _ in range(20):       # BFD peers coming and going: a gate whenever one is configured
        engine.apply(config("203.0.113.240/32"))
        (health,) = engine.healths()
        assert health.problem() is None
        engine.apply(plain_config())
    engine.apply(config("203.0.113.240/32"))
    time.sleep(0.3)           # several polls: the gate did not end under a BFD config
    (health,) = engine.healths()
    assert health.problem() is None
    engine.close()


def test_a_refused_password_line_is_not_repeated_in_the_error(engine: FrrEngine,
                                                               fake: FakeFrr) -> None:
    fake.answers = [(1, "line 7: Failure to communicate[13] to bgpd, line:  neighbor "
                        "198.51.100.1 password Sup3r-S3cret#\nvtysh exited with status 13")]
    with pytest.raises(BgpEngineError) as caught:
        engine.apply(config("203.0.113.240/32", password="Sup3r-S3cret#"))
    assert "Sup3r-S3cret" not in str(caught.value)
    assert "neighbor 198.51.100.1 password <redacted>" in str(caught.value)
