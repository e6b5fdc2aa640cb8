"""Run playbooks against the lab and read the outcome from the JSON callback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exposure_lab import Lab, lifecycle

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_CFG = REPO / "lab" / "ansible.cfg"
COLLECTION_LINK = REPO / ".collections" / "ansible_collections" / "baremetal" / "exposure"


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    plays: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(host.get("changed", 0) for host in self.stats.values())

    @property
    def failed(self) -> int:
        return sum(host.get("failures", 0) + host.get("unreachable", 0)
                   for host in self.stats.values())

    def task_results(self, name: str) -> dict[str, dict[str, Any]]:
        """host -> result of the (last) task with this name."""
        found: dict[str, dict[str, Any]] = {}
        for play in self.plays:
            for task in play.get("tasks", []):
                if task["task"]["name"] == name:
                    found.update(task["hosts"])
        return found

    def failure_messages(self) -> list[str]:
        """The message of every failed task, and of each failed item of a failed loop (the
        loop's own message only says that some item failed). A task's message is given as the
        task wrote it: tests assert on its exact lines."""
        messages = []
        for play in self.plays:
            for task in play.get("tasks", []):
                for result in task["hosts"].values():
                    if not result.get("failed"):
                        continue
                    messages.append(str(result.get("msg")))
                    messages += [f"  item {item.get('_ansible_item_label', '?')}: "
                                 f"{_item_message(item)}" for item in result.get("results", [])
                                 if isinstance(item, dict)
                                 and (item.get("failed") or item.get("exception"))]
        return messages


def _item_message(item: dict[str, Any]) -> str:
    """A failed loop item's message; a module that died has none, only its stderr/exception."""
    for key in ("msg", "module_stderr", "exception", "stderr"):
        if item.get(key):
            return str(item[key])[-1500:]
    return "failed (no message)"


def json_document(stdout: str) -> dict[str, Any]:
    """The JSON callback's document; with -v and up, Display lines come before it (it starts
    at a line holding only "{")."""
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        pass
    start = stdout.find("\n{\n")
    while start != -1:
        try:
            return json.JSONDecoder().raw_decode(stdout[start + 1:])[0]
        except json.JSONDecodeError:
            start = stdout.find("\n{\n", start + 1)
    return {}


class AnsibleRunner:
    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        if not COLLECTION_LINK.exists():
            COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
            COLLECTION_LINK.symlink_to(REPO)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            **lifecycle.environment(self.lab.config),
            "ANSIBLE_CONFIG": str(ANSIBLE_CFG),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_NOCOLOR": "1",
            **(extra or {}),
        }

    def playbook(self, playbook: str | Path, *args: str, check: bool = False,
                 diff: bool = False, extra_vars: dict[str, Any] | None = None,
                 inventory: str | Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = 900) -> PlaybookResult:
        bin_dir = Path(sys.executable).parent
        argv = [str(bin_dir / "ansible-playbook"), str(playbook), *args]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        if extra_vars:
            argv += ["--extra-vars", json.dumps(extra_vars)]
        if inventory:
            argv += ["--inventory", str(inventory)]
        proc = subprocess.run(argv, capture_output=True, text=True, env=self.env(env),
                              cwd=REPO, timeout=timeout, check=False)
        data = json_document(proc.stdout)
        return PlaybookResult(rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr,
                              stats=data.get("stats", {}), plays=data.get("plays", []))
