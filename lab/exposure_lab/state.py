"""What the lab started, kept on disk so `lab down` stops exactly that and nothing else."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ProcessRecord:
    pid: int
    start_ticks: int  # field 22 of /proc/PID/stat: tells our process from a recycled PID
    argv: list[str]
    netns: str | None
    log: str

    def alive(self) -> bool:
        return process_start_ticks(self.pid) == self.start_ticks


@dataclass
class LabState:
    path: Path
    nodes: int = 0
    prefix: str = ""
    processes: dict[str, ProcessRecord] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> LabState:
        if not path.exists():
            return cls(path=path)
        raw = json.loads(path.read_text())
        return cls(
            path=path,
            nodes=raw.get("nodes", 0),
            prefix=raw.get("prefix", ""),
            processes={k: ProcessRecord(**v) for k, v in raw.get("processes", {}).items()},
            services=raw.get("services", {}),
        )

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "nodes": self.nodes,
            "prefix": self.prefix,
            "processes": {k: vars(v) for k, v in self.processes.items()},
            "services": self.services,
        }
        # Write atomically: a crash mid-write must not lose the PIDs we are responsible for.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.path)


def process_start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    rest = stat[stat.rindex(")") + 2 :].split()
    if rest[0] == "Z":  # a zombie is as good as gone
        return None
    return int(rest[19])
