"""baremetal-lb: runtime/Containerfile, the file a user builds, built with `buildah bud` on the
Debian base (BASE_IMAGE build argument) instead of the public Python image.

The build context is staged: only the files the Containerfile's COPY lines name (without
caches or byte code) are copied to a clean directory, and exactly those files are hashed, so
the key and the build can never disagree about the inputs. RUN steps use chroot isolation;
pip reaches PyPI with the host's CA bundle mounted over the image's (for the build only).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .context import REPO_ROOT, BuildContext, Recipe
from .inputs import InputHash, containerfile_sources, tree_files
from .model import SOURCE_DATE_EPOCH
from .tools import HOST_CA_BUNDLE


def runtime_dir() -> Path:
    return Path(os.environ.get("EXPOSURE_LAB_RUNTIME_DIR") or REPO_ROOT / "runtime")


def containerfile() -> Path:
    return runtime_dir() / "Containerfile"


def context_files() -> list[str]:
    return tree_files(runtime_dir(), containerfile_sources(containerfile().read_text()))


def key(ctx: BuildContext) -> str:
    return (InputHash("baremetal-lb").add("base", ctx.base_key)
            .add_file("Containerfile", containerfile())
            .add_files(runtime_dir(), context_files())
            .add_file("recipe", Path(__file__)).hexdigest())


def stage_context(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    for rel in context_files():
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(runtime_dir() / rel, dest)


def build(ctx: BuildContext, ref: str) -> None:
    what = "baremetal-lb"
    base = ctx.base()
    staged = ctx.cache.tmp() / "baremetal-lb-context"
    stage_context(staged)
    mounts = []
    if HOST_CA_BUNDLE.is_file():
        mounts = ["--volume", f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro"]
    ctx.buildah("bud", "--pull=never", "--isolation", "chroot", "--format", "oci",
                "--timestamp", str(SOURCE_DATE_EPOCH), "--build-arg", f"BASE_IMAGE={base}",
                *mounts, "--file", str(containerfile()), "--tag", ref, str(staged), what=what)
    shutil.rmtree(staged, ignore_errors=True)


RECIPE = Recipe(name="baremetal-lb", key=key, build=build)
