"""What every recipe gets: the config, the cache, buildah, one log, and the shared Debian base."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..config import LabConfig
from . import debian
from .cache import ImageCache
from .model import REPOSITORY, Progress, reference
from .tools import Buildah

# Repository root (lab/exposure_lab/images/context.py -> four levels up): runtime/ lives there.
REPO_ROOT = Path(__file__).resolve().parents[3]
FILES = Path(__file__).resolve().parent / "files"
KEEP_LOGS = 20
# Cold build of the Debian base on the 2-core reference machine, for the progress line. (Kept
# out of debian.py: that file is part of the base's key, an estimate is not.)
BASE_SECONDS = 80


@dataclass
class BuildContext:
    config: LabConfig
    progress: Progress
    cache: ImageCache = field(init=False)
    log: Path = field(init=False)
    buildah: Buildah = field(init=False)

    def __post_init__(self) -> None:
        self.cache = ImageCache(self.config)
        self.log = self.cache.logs() / time.strftime("build-%Y%m%d-%H%M%S.log")
        self.buildah = Buildah(self.config, self.log)
        for old in sorted(self.cache.logs().glob("build-*.log"))[:-KEEP_LOGS]:
            old.unlink(missing_ok=True)

    @cached_property
    def base_key(self) -> str:
        return debian.key()

    def base(self) -> str:
        """The Debian base image's reference, present in buildah storage: reused from storage,
        else imported from the cached rootfs tar, else made by mmdebstrap first."""
        ref = debian.base_ref(self.base_key)
        tar = debian.rootfs(self.cache.root, self.base_key)
        if tar.is_file():
            os.utime(tar.parent)  # used now: pruning keeps the recently used
        if self.buildah.exists(ref):
            return ref
        if tar.is_file():
            self.progress(f"image {debian.NAME}: reused rootfs {self.base_key[:16]}, importing")
        else:
            self.progress(f"image {debian.NAME}: building with mmdebstrap "
                          f"(usually ~{BASE_SECONDS} s)")
            started = time.monotonic()
            debian.build_rootfs(tar, self.log, self.cache.tmp())
            self.progress(f"image {debian.NAME}: built in {time.monotonic() - started:.0f} s, "
                          f"{tar.stat().st_size / 1e6:.0f} MB")
            self.cache.prune(debian.NAME, keep=self.base_key, count=2)
        # Base images whose rootfs is no longer cached: nothing builds on them any more.
        kept = {reference(debian.NAME, key) for key in self.cache.kept(debian.NAME)}
        for old in self.buildah.images(f"{REPOSITORY}/{debian.NAME}:"):
            if old not in kept:
                self.buildah.rmi(old)
        debian.import_rootfs(self.buildah, tar, ref)
        return ref


@dataclass(frozen=True)
class Recipe:
    name: str
    key: Callable[[BuildContext], str]
    build: Callable[[BuildContext, str], None]  # commit image `ref` into buildah storage
