"""pause: our own tiny static Go binary (files/pause.go), alone in an image from scratch.

containerd's CRI starts it first in every pod sandbox (`sandbox_image` / `pinned_images.sandbox`
in containerd's CRI config must name this image's reference).
"""

from __future__ import annotations

from pathlib import Path

from .context import FILES, BuildContext, Recipe
from .gobuild import build_binary, go_version
from .inputs import InputHash

SOURCE = FILES / "pause.go"


def key(ctx: BuildContext) -> str:
    return (InputHash("pause").add("go", go_version()).add_file("pause.go", SOURCE)
            .add_file("recipe", Path(__file__)).hexdigest())


def build(ctx: BuildContext, ref: str) -> None:
    what = "pause"
    src = ctx.config.cache_dir / "src" / "pause"
    src.mkdir(parents=True, exist_ok=True)
    (src / "go.mod").write_text("module exposurelab.invalid/pause\n\ngo 1.26\n")
    (src / "main.go").write_text(SOURCE.read_text())
    binary = ctx.cache.tmp() / "pause"
    build_binary(ctx.config, src, ".", binary, ["-s", "-w"], ctx.log, what=f"{what}: go build")
    ctr = ctx.buildah.from_image("scratch", "xl-pause", what)
    ctx.buildah("copy", "--chmod", "0755", ctr, str(binary), "/pause", what=what)
    ctx.buildah.config(ctr, what, entrypoint='["/pause"]', user="65535:65535")
    ctx.buildah.commit(ctr, ref, what)
    binary.unlink()


RECIPE = Recipe(name="pause", key=key, build=build)
