"""traefik: Traefik v3 built from the Go module proxy, with Debian's CA bundle, from scratch.

Version: v3.6.12, the newest release that builds from the proxy. v3.7 requires the nested
module github.com/traefik/traefik/dynamic/ext, which the proxy does not serve (and which no
replace can supply), so v3.7.x fails at `go mod tidy`. v3.6.12 serves Kubernetes Ingress, the
ingress-nginx provider (Ingresses written for ingress-nginx, with its annotations; since v3.5)
and Gateway API v1.4 (gateway-api module v1.4.0): GatewayClass, Gateway, HTTPRoute, GRPCRoute,
BackendTLSPolicy at v1 and ReferenceGrant at v1beta1, all served by the standard-channel CRDs
v1.6.x. Leave its experimental channel off with v1.6 CRDs: it watches TCPRoute/TLSRoute at
v1alpha2, which v1.6 no longer serves.

Run it with `--global.checkNewVersion=false --global.sendAnonymousUsage=false`: by default it
calls home, which the lab (and many bare-metal sites) cannot and should not reach.

Traefik's go.mod replaces three modules with forks; a helper module repeats those replace
lines (gobuild.py). The binary is kept in the bin cache like the Kubernetes binaries, so an
image rebuild (say, for a new base) does not recompile it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .context import BuildContext, Recipe
from .gobuild import build_binary, go, go_version, module_gomod, parse_replaces, render_module
from .inputs import InputHash

VERSION = "v3.6.12"
MODULE = "github.com/traefik/traefik/v3"
PACKAGE = f"{MODULE}/cmd/traefik"
MARKER = ".built"


def binary_dir(ctx: BuildContext) -> Path:
    return ctx.config.bin_cache / f"traefik-{VERSION}"


def key(ctx: BuildContext) -> str:
    return (InputHash("traefik").add("version", VERSION).add("go", go_version())
            .add("base", ctx.base_key).add_file("recipe", Path(__file__)).hexdigest())


def ensure_binary(ctx: BuildContext) -> Path:
    dest = binary_dir(ctx)
    marker = dest / MARKER
    goversion = go_version()
    try:
        if json.loads(marker.read_text()).get("go") == goversion and (dest / "traefik").is_file():
            return dest / "traefik"
    except (OSError, ValueError):
        pass
    ctx.progress(f"image traefik: compiling traefik {VERSION} (usually ~{BINARY_SECONDS // 60} min "
                 "cold, less with a warm Go cache)")
    started = time.monotonic()
    src = ctx.config.cache_dir / "src" / f"traefik-{VERSION}"
    replaces = parse_replaces(module_gomod(ctx.config, MODULE, VERSION, src, ctx.log))
    gomod, tools = render_module("exposurelab.invalid/traefikbuild", "1.26", {MODULE: VERSION},
                                 replaces, [PACKAGE])
    src.mkdir(parents=True, exist_ok=True)
    (src / "go.mod").write_text(gomod)
    (src / "tools.go").write_text(tools)
    (src / "go.sum").unlink(missing_ok=True)
    go(ctx.config, ["mod", "tidy"], src, ctx.log, what=f"traefik {VERSION}: go mod tidy")
    ldflags = ["-s", "-w", f"-X {MODULE}/pkg/version.Version={VERSION}",
               f"-X {MODULE}/pkg/version.BuildDate=2026-01-01T00:00:00Z"]
    build_binary(ctx.config, src, PACKAGE, dest / "traefik", ldflags, ctx.log,
                 what=f"traefik {VERSION}: go build")
    marker.write_text(json.dumps({"go": goversion, "seconds": round(time.monotonic() - started)}))
    ctx.progress(f"image traefik: compiled in {time.monotonic() - started:.0f} s")
    return dest / "traefik"


def build(ctx: BuildContext, ref: str) -> None:
    what = "traefik"
    binary = ensure_binary(ctx)
    base = ctx.base()
    ctr = ctx.buildah.from_image("scratch", "xl-traefik", what)
    ctx.buildah("copy", "--chmod", "0755", ctr, str(binary), "/usr/local/bin/traefik", what=what)
    ctx.buildah("copy", "--from", base, ctr, "/etc/ssl/certs/ca-certificates.crt",
                "/etc/ssl/certs/ca-certificates.crt", what=what)
    ctx.buildah.config(ctr, what, entrypoint='["/usr/local/bin/traefik"]', cmd="[]",
                       user="65532:65532", port=["80/tcp", "443/tcp", "8080/tcp"])
    ctx.buildah.commit(ctr, ref, what)


BINARY_SECONDS = 900  # cold Go caches, 2 cores; about 30 s when only the link is left
RECIPE = Recipe(name="traefik", key=key, build=build)
