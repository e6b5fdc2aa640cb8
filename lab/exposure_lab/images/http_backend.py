"""http-backend: a small HTTP server for end-to-end tests that says which pod answered.

files/http-backend.py on the Debian base's python3 (no extra layer beyond the script). Every
GET answers 200 with lines `pod=`, `namespace=`, `node=`, `pod_ip=` (from the downward API
variables POD_NAME, POD_NAMESPACE, NODE_NAME, POD_IP), `client=` (the peer address it saw, so a
test can tell whether the client address was kept) and `path=`; /healthz answers `ok`.
Listens on $PORT (8080).
"""

from __future__ import annotations

from pathlib import Path

from .context import FILES, BuildContext, Recipe
from .inputs import InputHash

SCRIPT = FILES / "http-backend.py"


def key(ctx: BuildContext) -> str:
    return (InputHash("http-backend").add("base", ctx.base_key).add_file("script", SCRIPT)
            .add_file("recipe", Path(__file__)).hexdigest())


def build(ctx: BuildContext, ref: str) -> None:
    what = "http-backend"
    ctr = ctx.buildah.from_image(ctx.base(), "xl-http-backend", what)
    ctx.buildah("copy", "--chmod", "0755", ctr, str(SCRIPT), "/usr/local/bin/http-backend",
                what=what)
    ctx.buildah.config(ctr, what, entrypoint='["/usr/local/bin/http-backend"]', cmd="[]",
                       env="PORT=8080", port="8080/tcp", user="65532:65532")
    ctx.buildah.commit(ctr, ref, what)


RECIPE = Recipe(name="http-backend", key=key, build=build)
