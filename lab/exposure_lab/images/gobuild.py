"""Go binaries for images, built the way the lab builds Kubernetes (kube/build.py): the machine's
Go, CGO off, module and build caches under the lab's cache dir, modules from the Go module proxy.

A module whose go.mod has `replace` lines (Traefik's forks of go-http-auth, mux, minheap)
cannot be built with `go install module@version`: replace directives only apply in the main
module. So a small helper module requires it and repeats its replace lines, as kube/build.py
does for Kubernetes' staging modules.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..config import LabConfig
from ..kube.build import GO, go_env
from .tools import run_logged

_REPLACE_BLOCK = re.compile(r"^replace\s*\(\s*\n(.*?)^\)", re.MULTILINE | re.DOTALL)
_REPLACE_LINE = re.compile(r"^replace\s+(.+)$", re.MULTILINE)


def parse_replaces(gomod: str) -> list[str]:
    """The `replace` directives of a go.mod, as `old [v] => new [v]` strings, in file order.
    Local-path replacements (`=> ./x`) are refused: they point into the other module's tree."""
    entries: list[str] = []
    for block in _REPLACE_BLOCK.findall(gomod):
        entries += [line.split("//")[0].strip() for line in block.splitlines()]
    entries += [m.split("//")[0].strip() for m in _REPLACE_LINE.findall(gomod)
                if not m.strip().startswith("(")]
    entries = [e for e in entries if e]
    for entry in entries:
        target = entry.split("=>", 1)[1].strip() if "=>" in entry else ""
        if not target or target.startswith((".", "/")):
            raise ValueError(f"cannot reuse replace directive {entry!r} outside its module")
    return entries


def render_module(module: str, go_version: str, requires: Mapping[str, str],
                  replaces: Sequence[str], imports: Sequence[str]) -> tuple[str, str]:
    """(go.mod, tools.go) of a helper module that pins `requires` and imports `imports`."""
    mod = [f"module {module}", "", f"go {go_version}", "", "require ("]
    mod += [f"\t{path} {version}" for path, version in requires.items()]
    mod += [")"]
    if replaces:
        mod += ["", "replace ("] + [f"\t{entry}" for entry in replaces] + [")"]
    tools = ["//go:build tools", "", "package tools", "", "import ("]
    tools += [f'\t_ "{imp}"' for imp in imports] + [")"]
    return "\n".join(mod) + "\n", "\n".join(tools) + "\n"


@functools.lru_cache(maxsize=1)
def go_version() -> str:
    """`go1.26.8`: part of every Go-built image's key (another compiler, another binary)."""
    return subprocess.run([GO, "env", "GOVERSION"], capture_output=True, text=True,
                          check=True).stdout.strip()


def go(config: LabConfig, args: Sequence[str], cwd: Path, log: Path, what: str) -> str:
    cwd.mkdir(parents=True, exist_ok=True)
    return run_logged([GO, *args], log, env=go_env(config), cwd=cwd, what=what)


def module_gomod(config: LabConfig, module: str, version: str, cwd: Path, log: Path) -> str:
    """The go.mod text of module@version, from the module cache (downloaded if missing)."""
    out = go(config, ["mod", "download", "-json", f"{module}@{version}"], cwd, log,
             what=f"go mod download {module}@{version}")
    return Path(json.loads(out)["GoMod"]).read_text()


def build_binary(config: LabConfig, src: Path, pkg: str, output: Path, ldflags: Sequence[str],
                 log: Path, what: str) -> None:
    """`go build` of `pkg` in the helper module `src` into `output` (atomically)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    go(config, ["build", "-pgo=off", "-trimpath", "-ldflags", " ".join(ldflags), "-o",
                str(partial), pkg], src, log, what=what)
    partial.replace(output)
