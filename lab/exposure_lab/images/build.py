"""build_all: every image the lab runs, each rebuilt only when the hash of its inputs changed."""

from __future__ import annotations

import time
from collections.abc import Iterable

from ..config import LabConfig
from . import baremetal_lb, frr_image, http_backend, kube_proxy, pause, traefik
from .archive import read_archive
from .context import BuildContext, Recipe
from .model import Image, ImageBuildError, Progress, reference, stderr_progress

# Quick ones first, so a failure in a long build does not hide a broken quick one.
RECIPES: tuple[Recipe, ...] = (pause.RECIPE, kube_proxy.RECIPE, http_backend.RECIPE,
                               frr_image.RECIPE, baremetal_lb.RECIPE, traefik.RECIPE)
NAMES = tuple(r.name for r in RECIPES)
# Usual build time (s) on the 2-core reference machine with the Debian base and the Go caches
# present, for the progress line. Here rather than in the recipes: a recipe's source is part of
# its key, and a better estimate must not rebuild anything.
USUAL_SECONDS = {"pause": 5, "kube-proxy": 20, "http-backend": 10, "frr": 10, "baremetal-lb": 35,
                 "traefik": 40}


def _select(only: Iterable[str] | None) -> list[Recipe]:
    if not only:
        return list(RECIPES)
    unknown = sorted(set(only) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown image(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    return [r for r in RECIPES if r.name in set(only)]


def refs(config: LabConfig, only: Iterable[str] | None = None) -> dict[str, str]:
    """Each image's reference, from its inputs alone (nothing is built): what an inventory or
    a manifest can name before or without `build_all`."""
    ctx = BuildContext(config, stderr_progress)
    return {r.name: reference(r.name, r.key(ctx)) for r in _select(only)}


def build_all(config: LabConfig, progress: Progress = stderr_progress, *, force: bool = False,
              only: Iterable[str] | None = None) -> dict[str, Image]:
    ctx = BuildContext(config, progress)
    started = time.monotonic()
    images: dict[str, Image] = {}
    with ctx.cache.locked():
        for recipe in _select(only):
            images[recipe.name] = _one(ctx, recipe, force)
    built = [i for i in images.values() if not i.reused]
    summary = (f"{len(built)} built, {len(images) - len(built)} reused" if built
               else f"all {len(images)} reused, nothing built")
    progress(f"images: {summary} in {time.monotonic() - started:.1f} s")
    return images


def _one(ctx: BuildContext, recipe: Recipe, force: bool) -> Image:
    key = recipe.key(ctx)
    ref = reference(recipe.name, key)
    cached, why = (None, "--force") if force else ctx.cache.lookup(recipe.name, key)
    if cached is not None:
        ctx.progress(f"image {recipe.name}: reused {key[:16]}")
        return cached
    usual = USUAL_SECONDS.get(recipe.name, 30)
    ctx.progress(f"image {recipe.name}: building (usually ~{usual} s; {why})")
    started = time.monotonic()
    ctx.buildah.remove_stale_containers()
    ctx.buildah.rmi(ref)
    directory = ctx.cache.fresh_dir(recipe.name, key)
    archive = directory / "image.tar"
    try:
        recipe.build(ctx, ref)
        ctx.buildah.push_archive(ref, archive, what=f"{recipe.name}: export")
    finally:
        ctx.buildah.rmi(ref)  # the archive is the cache; vfs copies would double the disk
    info = read_archive(archive)
    if info.repo_tags != [ref]:
        raise ImageBuildError(f"{recipe.name}: {archive} is tagged {info.repo_tags}, not [{ref}]")
    image = Image(name=recipe.name, ref=ref, archive=archive, digest=info.config_digest, key=key,
                  size=archive.stat().st_size, seconds=time.monotonic() - started, reused=False)
    ctx.cache.save(image)
    ctx.cache.prune(recipe.name, keep=key)
    ctx.progress(f"image {recipe.name}: built {key[:16]} in {image.seconds:.0f} s, "
                 f"{image.size / 1e6:.0f} MB")
    return image
