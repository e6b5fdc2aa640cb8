"""Build the lab's Kubernetes control plane from the Go module proxy, once, into the bin cache.

    python -m exposure_lab.kube.build [--force]

Three small helper modules are generated under `cache_dir/src/`:

* kubernetes: requires k8s.io/kubernetes and `replace`s every staging module k8s.io/X v0.0.0
  (listed from the real go.mod) with its v0.Y.Z twin; kube-apiserver, kube-controller-manager
  and kube-scheduler are built in ONE `go build` so they share compilation.
* etcd: go.etcd.io/etcd/server/v3 has a `main` package (the etcd binary).
* kwok: sigs.k8s.io/kwok/cmd/kwok.

Each lands in `bin_cache/<name>-<version>/` and a `.built` marker is written last, so a
finished build is never repeated. GOPATH, GOMODCACHE and GOCACHE live under the cache dir too,
so a reused machine rebuilds warm.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import LabConfig

KUBE_VERSION = "v1.37.2"  # newest v1.37 patch the module proxy serves (2026-11-22)
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"
# containerd v2 rather than Debian's 1.6.20: kubelet 1.37 warns that 1.38 drops containerd 1.x,
# and v2 builds from the module proxy in about two minutes (newest v2 the proxy serves that
# builds with Go 1.26, 2026-12).
CONTAINERD_VERSION = "v2.4.2"
CONTAINERD_BINARIES = ("containerd", "containerd-shim-runc-v2", "ctr")
GO = os.environ.get("EXPOSURE_LAB_GO") or shutil.which("go") or "/usr/local/go/bin/go"
# Fixed so that the same sources give the same binaries.
BUILD_DATE = "2026-01-01T00:00:00Z"
GIT_COMMIT = "0000000000000000000000000000000000000000"

KUBE_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy")
MARKER = ".built"


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    etcd: Path
    kwok: Path
    kubelet: Path
    kube_proxy: Path
    containerd: Path
    containerd_shim: Path
    ctr: Path

    def all(self) -> list[Path]:
        return [
            self.kube_apiserver,
            self.kube_controller_manager,
            self.kube_scheduler,
            self.kubelet,
            self.kube_proxy,
            self.etcd,
            self.kwok,
            self.containerd,
            self.containerd_shim,
            self.ctr,
        ]


def kube_dir(config: LabConfig) -> Path:
    return config.bin_cache / f"kubernetes-{KUBE_VERSION}"


def etcd_dir(config: LabConfig) -> Path:
    return config.bin_cache / f"etcd-{ETCD_VERSION}"


def kwok_dir(config: LabConfig) -> Path:
    return config.bin_cache / f"kwok-{KWOK_VERSION}"


def containerd_dir(config: LabConfig) -> Path:
    return config.bin_cache / f"containerd-{CONTAINERD_VERSION}"


def binaries(config: LabConfig) -> Binaries:
    k = kube_dir(config)
    return Binaries(
        kube_apiserver=k / "kube-apiserver",
        kube_controller_manager=k / "kube-controller-manager",
        kube_scheduler=k / "kube-scheduler",
        etcd=etcd_dir(config) / "etcd",
        kwok=kwok_dir(config) / "kwok",
        kubelet=k / "kubelet",
        kube_proxy=k / "kube-proxy",
        containerd=containerd_dir(config) / "containerd",
        containerd_shim=containerd_dir(config) / "containerd-shim-runc-v2",
        ctr=containerd_dir(config) / "ctr",
    )


def is_built(config: LabConfig, kwok: bool = False) -> bool:
    return all(
        (d / MARKER).is_file() and all(p.is_file() for p in binaries(config).all() if p.parent == d)
        for d in _dirs(config, kwok)
    )


def _dirs(config: LabConfig, kwok: bool = True) -> tuple[Path, ...]:
    found = (kube_dir(config), etcd_dir(config), containerd_dir(config))
    return (*found, kwok_dir(config)) if kwok else found


def go_env(config: LabConfig) -> dict[str, str]:
    go = config.cache_dir / "go"
    return {
        **os.environ,
        "GOPATH": str(go),
        "GOMODCACHE": str(go / "pkg" / "mod"),
        "GOCACHE": str(config.cache_dir / "go-build"),
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        "GOFLAGS": "-mod=mod -buildvcs=false",
    }


def _say(line: str) -> None:
    print(f"[build] {line}", file=sys.stderr, flush=True)


def _go(config: LabConfig, args: list[str], cwd: Path, capture: bool = False) -> str:
    """Run go quietly: its output goes to a log (the `go: downloading` flood included), and
    only a failure shows it."""
    log = config.cache_dir / "logs" / f"go-{args[0]}-{cwd.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as errors:
        proc = subprocess.run([GO, *args], cwd=cwd, env=go_env(config), text=True,
                              stdout=subprocess.PIPE if capture else errors, stderr=errors,
                              check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"go {' '.join(args)} failed ({proc.returncode}) in {cwd}; "
                           f"last lines of {log}:\n" + "\n".join(
                               log.read_text(errors="replace").splitlines()[-20:]))
    return proc.stdout or ""


def _go_build(config: LabConfig, what: str, usual: str, args: list[str], pkgs: list[str],
              cwd: Path) -> None:
    """`go build -v` with a progress line every 30 s (packages compiled so far out of the
    packages involved) and one line per linked binary, instead of go's silence."""
    _say(f"{what}: resolving modules")
    _go(config, ["mod", "tidy"], cwd)
    total = len(_go(config, ["list", "-deps", *pkgs], cwd, capture=True).split())
    _say(f"{what}: compiling {len(pkgs)} binar{'y' if len(pkgs) == 1 else 'ies'} from "
         f"{total} packages (usually {usual}; cached packages are skipped)")
    log = config.cache_dir / "logs" / f"go-build-{cwd.name}.log"
    started = last = time.monotonic()
    compiled = 0
    mains = set(pkgs)
    with open(log, "w") as out:
        proc = subprocess.Popen([GO, "build", "-v", *args, *pkgs], cwd=cwd, env=go_env(config),
                                text=True, stdout=out, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        for line in proc.stderr:
            out.write(line)
            name = line.strip()
            if name in mains:
                _say(f"{what}: linking {name.rsplit('/', 1)[-1]}")
            elif name and " " not in name:
                compiled += 1
            if time.monotonic() - last >= 30:
                last = time.monotonic()
                _say(f"{what}: compiled {compiled} of {total} packages "
                     f"({last - started:.0f} s)")
        code = proc.wait()
    if code != 0:
        raise RuntimeError(f"go build of {what} failed ({code}); last lines of {log}:\n"
                           + "\n".join(log.read_text(errors="replace").splitlines()[-20:]))


def _write_module(src: Path, module: str, requires: dict[str, str], replaces: dict[str, str],
                  imports: list[str]) -> None:
    src.mkdir(parents=True, exist_ok=True)
    lines = [f"module {module}", "", "go 1.26", "", "require ("]
    lines += [f"\t{path} {version}" for path, version in requires.items()]
    lines += [")"]
    if replaces:
        lines += ["", "replace ("]
        lines += [f"\t{path} => {path} {version}" for path, version in replaces.items()]
        lines += [")"]
    (src / "go.mod").write_text("\n".join(lines) + "\n")
    tools = ["//go:build tools", "", "package tools", "", "import ("]
    tools += [f'\t_ "{imp}"' for imp in imports]
    tools += [")"]
    (src / "tools.go").write_text("\n".join(tools) + "\n")


def _staging_modules(config: LabConfig, src: Path) -> list[str]:
    """Every `k8s.io/X v0.0.0` requirement of the real k8s.io/kubernetes go.mod."""
    src.mkdir(parents=True, exist_ok=True)
    out = _go(config, ["mod", "download", "-json", f"k8s.io/kubernetes@{KUBE_VERSION}"], src,
              capture=True)
    gomod = Path(json.loads(out)["GoMod"]).read_text()
    # The staging modules are the ones replaced by ./staging/src/...; requirements on them say
    # exactly v0.0.0 (k8s.io/utils and kube-openapi carry real pseudo-versions: leave them).
    staged = re.findall(r"^\s*(k8s\.io/\S+)\s+=>\s+\./staging/", gomod, re.MULTILINE)
    required = re.findall(r"^\s*(k8s\.io/\S+)\s+v0\.0\.0\s*$", gomod, re.MULTILINE)
    mods = sorted(set(staged) | set(required))
    if not mods:
        raise RuntimeError("found no staging modules in k8s.io/kubernetes's go.mod")
    return mods


def _finish(dest: Path, started: float, what: str) -> None:
    (dest / MARKER).write_text(json.dumps({"built": time.time(), "seconds": time.time() - started}))
    _say(f"{what}: built in {time.time() - started:.0f} s -> {dest}")


def build_kubernetes(config: LabConfig) -> None:
    dest = kube_dir(config)
    if (dest / MARKER).is_file():
        return
    started = time.time()
    src = config.cache_dir / "src" / f"kubernetes-{KUBE_VERSION}"
    staging_version = "v0." + KUBE_VERSION.removeprefix("v1.")
    mods = _staging_modules(config, src)
    pkgs = [f"k8s.io/kubernetes/cmd/{name}" for name in KUBE_BINARIES]
    _write_module(
        src,
        "exposurelab.invalid/kubebuild",
        {"k8s.io/kubernetes": KUBE_VERSION},
        {m: staging_version for m in mods},
        pkgs,
    )
    major, minor = KUBE_VERSION.removeprefix("v").split(".")[:2]
    ldflags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        ldflags += [
            f"-X {pkg}.gitVersion={KUBE_VERSION}",
            f"-X {pkg}.gitMajor={major}",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitCommit={GIT_COMMIT}",
            f"-X {pkg}.gitTreeState=clean",
            f"-X {pkg}.buildDate={BUILD_DATE}",
        ]
    dest.mkdir(parents=True, exist_ok=True)
    _go_build(config, f"kubernetes {KUBE_VERSION}", "14 min cold on 2 cores, 1 min warm",
              ["-pgo=off", "-trimpath", "-ldflags", " ".join(ldflags), "-o", str(dest) + "/"],
              pkgs, src)
    _finish(dest, started, f"kubernetes {KUBE_VERSION}")


def build_etcd(config: LabConfig) -> None:
    dest = etcd_dir(config)
    if (dest / MARKER).is_file():
        return
    started = time.time()
    src = config.cache_dir / "src" / f"etcd-{ETCD_VERSION}"
    pkg = "go.etcd.io/etcd/server/v3"
    _write_module(src, "exposurelab.invalid/etcdbuild", {pkg: ETCD_VERSION}, {}, [pkg])
    dest.mkdir(parents=True, exist_ok=True)
    ldflags = f"-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA={GIT_COMMIT[:8]}"
    _go_build(config, f"etcd {ETCD_VERSION}", "2 min cold", ["-pgo=off", "-trimpath",
              "-ldflags", ldflags, "-o", str(dest / "etcd")], [pkg], src)
    _finish(dest, started, f"etcd {ETCD_VERSION}")


def build_kwok(config: LabConfig) -> None:
    dest = kwok_dir(config)
    if (dest / MARKER).is_file():
        return
    started = time.time()
    src = config.cache_dir / "src" / f"kwok-{KWOK_VERSION}"
    pkg = "sigs.k8s.io/kwok/cmd/kwok"
    _write_module(src, "exposurelab.invalid/kwokbuild", {"sigs.k8s.io/kwok": KWOK_VERSION}, {},
                  [pkg])
    dest.mkdir(parents=True, exist_ok=True)
    ldflags = "-s -w"  # consts.Version already says 0.8.0
    _go_build(config, f"kwok {KWOK_VERSION}", "5 min cold", ["-pgo=off", "-trimpath",
              "-ldflags", ldflags, "-o", str(dest / "kwok")], [pkg], src)
    _finish(dest, started, f"kwok {KWOK_VERSION}")


def build_containerd(config: LabConfig) -> None:
    dest = containerd_dir(config)
    if (dest / MARKER).is_file():
        return
    started = time.time()
    src = config.cache_dir / "src" / f"containerd-{CONTAINERD_VERSION}"
    module = "github.com/containerd/containerd/v2"
    pkgs = [f"{module}/cmd/{name}" for name in CONTAINERD_BINARIES]
    _write_module(src, "exposurelab.invalid/containerdbuild", {module: CONTAINERD_VERSION}, {},
                  pkgs)
    dest.mkdir(parents=True, exist_ok=True)
    ldflags = (f"-s -w -X {module}/version.Version={CONTAINERD_VERSION} "
               f"-X {module}/version.Revision={GIT_COMMIT[:12]}")
    # No btrfs/devmapper/zfs snapshotters: they need C libraries; overlayfs is what nodes use.
    _go_build(config, f"containerd {CONTAINERD_VERSION}", "3 min cold",
              ["-pgo=off", "-trimpath", "-tags", "no_btrfs no_devmapper no_zfs", "-ldflags",
               ldflags, "-o", str(dest) + "/"], pkgs, src)
    _finish(dest, started, f"containerd {CONTAINERD_VERSION}")


def build(config: LabConfig, force: bool = False, kwok: bool = False) -> Binaries:
    """Build whatever is missing (KWOK only when asked: only `lab up --kwok` runs it); return
    the paths. Prints what it does and how long it took to stderr."""
    if force:
        for d in _dirs(config, kwok):
            (d / MARKER).unlink(missing_ok=True)
    if is_built(config, kwok):
        return binaries(config)
    started = time.time()
    steps = [build_kubernetes, build_etcd, build_containerd, *([build_kwok] if kwok else [])]
    for step in steps:
        step(config)
    _say(f"Kubernetes, etcd and containerd binaries ready in {time.time() - started:.0f} s")
    return binaries(config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exposure_lab.kube.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    bins = build(LabConfig(), force=args.force)
    for path in bins.all():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
