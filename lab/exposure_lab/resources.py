"""How much memory the lab's daemons use (each recorded process with its children)."""

from __future__ import annotations

from pathlib import Path

from .core import Lab


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_tree_rss_kib(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss_kib(current)
        todo += _children(current)
    return total


def memory_by_process(lab: Lab) -> dict[str, int]:
    """Recorded process key -> RSS in KiB of it and its children (shared pages counted)."""
    return {key: process_tree_rss_kib(rec.pid)
            for key, rec in lab.state.processes.items() if rec.alive()}
