"""dhcp_reservation never undoes a change someone else makes to Kea between its read and its write.

The module reads Kea's whole configuration (config-get), plans the pools, tests the candidate
(config-test) and writes it (config-set, which replaces everything). These tests put a small
HTTP proxy in front of the lab's real kea-ctrl-agent and, while the module's config-test is on
its way, make a real change to Kea's configuration through the agent directly (valid-lifetime
+ 1, as another engineer or another run would). The module must see it and start over, so Kea
ends up with both changes; when the change happens on every attempt it must give up without
writing, and Kea keeps the other writer's change.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from exposure_lab import Lab
from exposure_lab.dhcp import kea_command

from ansible_runner import AnsibleRunner
from reservation_helpers import PLAYBOOK, kea_plan

START_POOLS = [{"pool": "198.51.100.100-198.51.100.199"}]
RESERVED = ["198.51.100.100-198.51.100.179"]
TASK = "baremetal.exposure.dhcp_reservation : Keep the VIP ranges out of Kea's pools"


def config(lab: Lab) -> dict[str, Any]:
    arguments = kea_command(lab, "config-get")["arguments"]
    arguments.pop("hash", None)
    return arguments


def set_config(lab: Lab, arguments: dict[str, Any]) -> None:
    answer = kea_command(lab, "config-set", arguments)
    assert answer["result"] == 0, answer


def lifetime(lab: Lab) -> int:
    return config(lab)["Dhcp4"]["valid-lifetime"]


def pools(lab: Lab) -> list[str]:
    return [p["pool"] for p in config(lab)["Dhcp4"]["subnet4"][0]["pools"]]


class RacingProxy:
    """Forwards every request to the agent; before forwarding the first ``edits`` config-test
    commands, changes Kea's configuration through the agent directly (someone else's edit)."""

    def __init__(self, lab: Lab, edits: int) -> None:
        self.lab, self.edits, self.commands = lab, edits, []
        target = lab.info("kea")["url"]
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                command = json.loads(body)["command"]
                proxy.commands.append(command)
                if command == "config-test" and proxy.edits > 0:
                    proxy.edits -= 1
                    edited = config(proxy.lab)
                    edited["Dhcp4"]["valid-lifetime"] += 1
                    set_config(proxy.lab, edited)
                request = urllib.request.Request(target, data=body, method="POST", headers={
                    key: value for key, value in self.headers.items()
                    if key.lower() in ("content-type", "authorization")})
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status, payload = answer.status, answer.read()
                except urllib.error.HTTPError as exc:
                    status, payload = exc.code, exc.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RacingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def kea_at_start(lab: Lab) -> Iterator[dict[str, Any]]:
    """Kea with the lab's starting pools (another test may have reserved them), restored after."""
    original = config(lab)
    start = json.loads(json.dumps(original))
    start["Dhcp4"]["subnet4"][0]["pools"] = START_POOLS
    set_config(lab, start)
    yield start
    set_config(lab, original)


def run(ansible: AnsibleRunner, url: str) -> Any:
    # Other tests' clients may hold leases in the VIP range: this test is about the write.
    return ansible.playbook(PLAYBOOK, extra_vars={
        "exposure_plan": kea_plan(url), "dhcp_reservation_ignore_existing_leases": True})


def test_a_concurrent_edit_between_read_and_write_is_kept(
        lab: Lab, ansible: AnsibleRunner, kea_at_start: dict[str, Any]) -> None:
    before = kea_at_start["Dhcp4"]["valid-lifetime"]
    with RacingProxy(lab, edits=1) as proxy:
        result = run(ansible, proxy.url)
    assert result.rc == 0, "\n".join(result.failure_messages()) or result.stderr[-3000:]
    task = result.task_results(TASK)["kea1"]
    assert task["changed"] is True and task["attempts"] == 2, task
    assert proxy.commands[:4] == ["config-get", "lease4-get-all", "config-test", "config-get"]
    assert proxy.commands.count("config-set") == 1
    assert pools(lab) == RESERVED, "our change is there"
    assert lifetime(lab) == before + 1, "and so is the other writer's"


def test_an_edit_before_every_write_gives_up_without_writing(
        lab: Lab, ansible: AnsibleRunner, kea_at_start: dict[str, Any]) -> None:
    before = kea_at_start["Dhcp4"]["valid-lifetime"]
    with RacingProxy(lab, edits=3) as proxy:
        result = run(ansible, proxy.url)
    assert result.rc != 0
    message = " ".join(result.failure_messages())
    assert "changed after it was read" in message and "gave up after 3 attempts" in message, message
    assert "config-set" not in proxy.commands
    assert pools(lab) == [p["pool"] for p in START_POOLS], "nothing of ours was written"
    assert lifetime(lab) == before + 3, "every change of the other writer is kept"
