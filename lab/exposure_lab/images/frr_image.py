"""frr: Debian's FRR (from the shared base) with files/frr-start as entry point, to run beside the
speaker as MetalLB runs FRR beside its own.

frr-start starts zebra, bgpd, staticd and bfdd with every path (config, vty sockets, pid files,
zserv socket) in $FRR_DIR (default /var/run/frr, the speaker's --frr-dir default), a volume the
two containers share; the speaker drives them with vtysh and frr-reload.py from its own image.
"""

from __future__ import annotations

from pathlib import Path

from .context import FILES, BuildContext, Recipe
from .inputs import InputHash

SCRIPT = FILES / "frr-start"


def key(ctx: BuildContext) -> str:
    return (InputHash("frr").add("base", ctx.base_key).add_file("script", SCRIPT)
            .add_file("recipe", Path(__file__)).hexdigest())


def build(ctx: BuildContext, ref: str) -> None:
    what = "frr"
    ctr = ctx.buildah.from_image(ctx.base(), "xl-frr", what)
    ctx.buildah("copy", "--chmod", "0755", ctr, str(SCRIPT), "/usr/local/bin/frr-start", what=what)
    ctx.buildah.config(ctr, what, entrypoint='["/usr/local/bin/frr-start"]', cmd="[]",
                       env="FRR_DIR=/var/run/frr")
    ctx.buildah.commit(ctr, ref, what)


RECIPE = Recipe(name="frr", key=key, build=build)
