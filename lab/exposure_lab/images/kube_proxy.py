"""kube-proxy: the binary the lab builds with the other Kubernetes binaries (kube/build.py), on the
Debian base, which carries what it execs: iptables/ip6tables with their -save/-restore (nft
backend by default; iptables-legacy is there too), `nft` for the nftables mode, conntrack.

Placed where kubeadm's DaemonSet calls it: /usr/local/bin/kube-proxy.
"""

from __future__ import annotations

from pathlib import Path

from ..kube import build as kube_build
from .context import BuildContext, Recipe
from .inputs import InputHash
from .model import ImageBuildError


def binary(ctx: BuildContext) -> Path:
    path = kube_build.kube_dir(ctx.config) / "kube-proxy"
    if not path.is_file():
        raise ImageBuildError(f"kube-proxy: {path} is missing; the Kubernetes binaries are built "
                              "first (`python -m exposure_lab.kube.build`, part of `lab up`)")
    return path


def key(ctx: BuildContext) -> str:
    return (InputHash("kube-proxy").add("base", ctx.base_key).add_file("kube-proxy", binary(ctx))
            .add_file("recipe", Path(__file__)).hexdigest())


def build(ctx: BuildContext, ref: str) -> None:
    what = "kube-proxy"
    ctr = ctx.buildah.from_image(ctx.base(), "xl-kube-proxy", what)
    ctx.buildah("copy", "--chmod", "0755", ctr, str(binary(ctx)), "/usr/local/bin/kube-proxy",
                what=what)
    ctx.buildah.config(ctr, what, entrypoint="[]", cmd="/usr/local/bin/kube-proxy")
    ctx.buildah.commit(ctr, ref, what)


RECIPE = Recipe(name="kube-proxy", key=key, build=build)
