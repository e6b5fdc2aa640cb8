"""Where built images live: `<cache>/images/<name>/<key>/` with the archive and a record.

The record (`image.json`) is written last, so a directory without one is an interrupted build
and is never reused. After a build, older keys of the same image are removed: the cache holds
one archive per image, not its history.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import LabConfig
from .model import Image

RECORD = "image.json"


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
        record = self.dir(name, key) / RECORD
        try:
            image = Image.from_json(json.loads(record.read_text()), reused=True)
        except (OSError, ValueError, KeyError):
            return None
        return image if image.archive.is_file() and image.archive.stat().st_size == image.size else None

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

    def prune(self, name: str, keep: str) -> list[Path]:
        removed = []
        for path in sorted((self.root / name).glob("*")):
            if path.is_dir() and path.name != keep:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        return removed

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One builder at a time per cache (two `lab up` would otherwise share vfs storage)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
