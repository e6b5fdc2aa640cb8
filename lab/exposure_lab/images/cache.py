"""Where built images live: `<cache>/images/<name>/<key>/` with the archive and a record.

The record (`image.json`) is written last, so a directory without one is an interrupted build
and is never reused. Reuse touches the record; after a build only the KEEP most recently used
keys of that image stay. More than one: checkouts on one machine (a worktree and the main
checkout) share this cache, and each would otherwise delete the other's build every time.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import LabConfig
from .model import Image

RECORD = "image.json"
KEEP = 2


class ImageCache:
    def __init__(self, config: LabConfig) -> None:
        self.root = config.cache_dir / "images"

    def dir(self, name: str, key: str) -> Path:
        return self.root / name / key

    def archive(self, name: str, key: str) -> Path:
        return self.dir(name, key) / "image.tar"

    def logs(self) -> Path:
        return self.root / "logs"

    def tmp(self) -> Path:
        return self.root / "tmp"

    def load(self, name: str, key: str) -> Image | None:
        image, _ = self.lookup(name, key)
        return image

    def lookup(self, name: str, key: str) -> tuple[Image | None, str]:
        """The cached build of `key`, or None and why not (for the progress line)."""
        record = self.dir(name, key) / RECORD
        if not record.is_file():
            return None, "no finished build of these inputs"
        try:
            image = Image.from_json(json.loads(record.read_text()), reused=True)
        except (OSError, ValueError, KeyError) as exc:
            return None, f"unreadable record {record}: {exc}"
        try:
            size = image.archive.stat().st_size
        except OSError:
            return None, f"{image.archive} is missing"
        if size != image.size:
            return None, f"{image.archive} has {size} bytes, the record says {image.size}"
        os.utime(record)  # used now: pruning keeps the recently used
        return image, ""

    def save(self, image: Image) -> None:
        record = self.dir(image.name, image.key) / RECORD
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps(image.to_json(), indent=2, sort_keys=True) + "\n")
        tmp.replace(record)

    def fresh_dir(self, name: str, key: str) -> Path:
        """An empty directory for a new build of `key` (an interrupted one is thrown away)."""
        path = self.dir(name, key)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def prune(self, name: str, keep: str, count: int = KEEP) -> list[Path]:
        """Remove all but `keep` and the `count - 1` most recently used other keys of `name`."""
        others = [p for p in (self.root / name).glob("*") if p.is_dir() and p.name != keep]
        others.sort(key=_last_used, reverse=True)
        removed = others[max(count - 1, 0):]
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return sorted(removed)

    def kept(self, name: str) -> list[str]:
        return sorted(p.name for p in (self.root / name).glob("*") if p.is_dir())

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One builder at a time per cache (two `lab up` would otherwise share vfs storage)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


def _last_used(path: Path) -> float:
    """The record's mtime (touched on reuse), else the directory's (an unfinished build)."""
    record = path / RECORD
    return (record if record.is_file() else path).stat().st_mtime
