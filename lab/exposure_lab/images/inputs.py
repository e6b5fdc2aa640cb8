"""Cache keys: the hash of everything an image is made from (pure; no tool is run).

A key changes when, and only when, an input changes: a file's path, content or executable bit,
a package list, a version string, the recipe's own source. Modification times never count, so a
fresh checkout of the same commit reuses what an older one built.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Iterable, Iterator
from pathlib import Path

# Never part of a build context: byte code, caches, build output, editable-install metadata.
SKIP_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build",
                       "dist", ".git"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".egg-info")


class InputHash:
    """An ordered, labelled sha256: `add("version", "v1")` and `add("versio", "nv1")` differ."""

    def __init__(self, kind: str) -> None:
        self._sha = hashlib.sha256()
        self.add("kind", kind)

    def add(self, label: str, value: str | bytes) -> InputHash:
        data = value.encode() if isinstance(value, str) else value
        for part in (label.encode(), data):
            self._sha.update(len(part).to_bytes(8, "big"))
            self._sha.update(part)
        return self

    def add_file(self, label: str, path: Path) -> InputHash:
        mode = "x" if os.access(path, os.X_OK) else "-"
        return self.add(f"{label}:mode", mode).add(label, file_digest(path))

    def add_files(self, root: Path, relpaths: Iterable[str]) -> InputHash:
        for rel in sorted(relpaths):
            self.add_file(f"file:{rel}", root / rel)
        return self

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def tree_files(root: Path, sources: Iterable[str]) -> list[str]:
    """Files under `root` named by `sources` (files or directories), relative, sorted, without
    caches and byte code. A source that does not exist is an error: the build would fail too."""
    found: set[str] = set()
    for source in sources:
        path = (root / source).resolve()
        if not path.is_relative_to(root.resolve()):
            raise ValueError(f"{source!r} lies outside the build context {root}")
        if path.is_file():
            found.add(path.relative_to(root.resolve()).as_posix())
        elif path.is_dir():
            found.update(_walk(root.resolve(), path))
        else:
            raise FileNotFoundError(f"{source!r} is not in the build context {root}")
    return sorted(found)


def _walk(root: Path, top: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIP_DIRS and not d.endswith(SKIP_SUFFIXES))
        for name in sorted(filenames):
            if not name.endswith(SKIP_SUFFIXES):
                yield (Path(dirpath) / name).relative_to(root).as_posix()


_INSTRUCTION = re.compile(r"^\s*(COPY|ADD)\s+(.*)$", re.IGNORECASE)


def containerfile_sources(text: str) -> list[str]:
    """The build-context paths a Containerfile's COPY/ADD lines read (not `--from` stages).

    Handles line continuations, flags (`--chown=...`) and the JSON form; URLs and globs are
    refused, because the lab could not hash them the way the builder reads them.
    """
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not pending and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    sources: list[str] = []
    for line in logical:
        match = _INSTRUCTION.match(line)
        if not match:
            continue
        rest = match.group(2).strip()
        if rest.startswith("["):
            words = json.loads(rest)
        else:
            words = shlex.split(rest)
        flags = [w for w in words if w.startswith("--")]
        if any(f.startswith("--from") for f in flags):
            continue
        paths = [w for w in words if not w.startswith("--")]
        if len(paths) < 2:
            raise ValueError(f"cannot read the sources of: {line.strip()}")
        for src in paths[:-1]:
            if "://" in src or any(c in src for c in "*?["):
                raise ValueError(f"{match.group(1)} source {src!r}: URLs and globs are not "
                                 "supported by the lab's context hashing")
            sources.append(src.rstrip("/") or ".")
    return sources
