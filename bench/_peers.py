"""Build the peer implementations the benches compare against, from the Go module proxy.

    python bench/_peers.py [--force] [--speaker]   # prints the controller's (and speaker's) path

MetalLB's controller comes from the module `go.universe.tf/metallb` (its `controller` package
is a `main`). Like the lab's kube build (lab/exposure_lab/kube/build.py) a tiny helper module
requires it, `go mod tidy` resolves MetalLB's own go.mod, and one `go build -trimpath` with
CGO off and the local toolchain makes the binary. GOPATH, GOMODCACHE and GOCACHE are the lab's
under ~/.cache/baremetal-exposure, so a reused machine rebuilds warm and shares the k8s.io
modules the lab already fetched. One dependency, github.com/metallb/frr-k8s, is not served by
the proxy; a build-only shim of its API types replaces it (bench/peers/frr-k8s-api-shim).

The result lands in ~/.cache/baremetal-exposure/metallb-<version>/ with `.built` written last;
a lock file serialises concurrent builds and the binary is renamed into place, so a reader
never sees half a file.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

METALLB_MODULE = "go.universe.tf/metallb"
# Newest v0.16 the module proxy served on 2026-11-22 (`go list -m -versions`).
METALLB_VERSION = "v0.16.2"
CACHE = Path(os.environ.get("BAREMETAL_EXPOSURE_CACHE", Path.home() / ".cache/baremetal-exposure"))
GO = os.environ.get("EXPOSURE_LAB_GO") or shutil.which("go") or "/usr/local/go/bin/go"
MARKER = ".built"
# The proxy refuses every version of this module; MetalLB's controller only needs it to compile
# (see peers/frr-k8s-api-shim/README.md), so a directory replace stands in for it.
FRR_K8S_MODULE = "github.com/metallb/frr-k8s"
FRR_K8S_SHIM = Path(__file__).resolve().parent / "peers" / "frr-k8s-api-shim"


def metallb_dir(version: str = METALLB_VERSION) -> Path:
    return CACHE / f"metallb-{version}"


def metallb_controller(version: str = METALLB_VERSION) -> Path:
    return metallb_dir(version) / "controller"


def metallb_source(version: str = METALLB_VERSION) -> Path:
    """The module's unpacked tree (CRDs under config/crd/bases); valid after a build."""
    return CACHE / "go" / "pkg" / "mod" / f"{METALLB_MODULE}@{version}"


def go_env() -> dict[str, str]:
    go = CACHE / "go"
    return {
        **os.environ,
        "GOPATH": str(go),
        "GOMODCACHE": str(go / "pkg" / "mod"),
        "GOCACHE": str(CACHE / "go-build"),
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        "GOFLAGS": "-mod=mod -buildvcs=false",
    }


def _go(args: list[str], cwd: Path) -> None:
    print(f"+ (cd {cwd} && go {' '.join(args)})", file=sys.stderr, flush=True)
    proc = subprocess.run([GO, *args], cwd=cwd, env=go_env(), check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"go {' '.join(args)} failed ({proc.returncode}) in {cwd}")


def build_metallb(version: str = METALLB_VERSION, force: bool = False) -> Path:
    """Build MetalLB's controller once per version; return its path."""
    return _build("controller", MARKER, "metallbbuild", f"metallb-{version}", version, force)


def metallb_speaker(version: str = METALLB_VERSION) -> Path:
    return metallb_dir(version) / "speaker"


SPEAKER_MARKER = ".built-speaker"


def build_metallb_speaker(version: str = METALLB_VERSION, force: bool = False) -> Path:
    """Build MetalLB's speaker once per version, next to the controller; return its path.
    Its own helper module and marker, so the controller's cached build is left as it is."""
    return _build("speaker", SPEAKER_MARKER, "metallbspeakerbuild",
                  f"metallb-{version}-speaker", version, force)


def _build(component: str, marker: str, helper_module: str, src_name: str, version: str,
           force: bool) -> Path:
    """One MetalLB main package (`controller`, `speaker`) built from the module proxy through a
    helper module that requires MetalLB and replaces frr-k8s with the shim; cached by marker."""
    dest = metallb_dir(version)
    binary = dest / component
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second builder waits here, then finds the marker
        if force:
            (dest / marker).unlink(missing_ok=True)
        if (dest / marker).is_file() and binary.is_file():
            return binary
        started = time.time()
        src = CACHE / "src" / src_name
        src.mkdir(parents=True, exist_ok=True)
        pkg = f"{METALLB_MODULE}/{component}"
        shim = src / "frr-k8s-api-shim"
        shutil.rmtree(shim, ignore_errors=True)
        shutil.copytree(FRR_K8S_SHIM, shim)
        (src / "go.mod").write_text(
            f"module exposurelab.invalid/{helper_module}\n\ngo 1.26\n\n"
            f"require {METALLB_MODULE} {version}\n\n"
            f"replace {FRR_K8S_MODULE} => ./frr-k8s-api-shim\n"
        )
        (src / "tools.go").write_text(f'//go:build tools\n\npackage tools\n\nimport _ "{pkg}"\n')
        _go(["mod", "tidy"], src)
        ldflags = (
            "-s -w"
            f" -X {METALLB_MODULE}/internal/version.gitCommit=module-proxy-{version}"
            f" -X {METALLB_MODULE}/internal/version.gitBranch=none"
        )
        tmp = dest / f"{component}.tmp"
        _go(["build", "-pgo=off", "-trimpath", "-ldflags", ldflags, "-o", str(tmp), pkg], src)
        os.replace(tmp, binary)
        seconds = time.time() - started
        (dest / marker).write_text(json.dumps({"built": time.time(), "seconds": seconds}))
        print(f"built metallb {component} {version} in {seconds:.0f}s -> {binary}",
              file=sys.stderr, flush=True)
        return binary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    parser.add_argument("--version", default=METALLB_VERSION)
    parser.add_argument("--speaker", action="store_true", help="also build the speaker")
    args = parser.parse_args(argv)
    print(build_metallb(args.version, force=args.force))
    if args.speaker:
        print(build_metallb_speaker(args.version, force=args.force))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
