"""The build tools, pointed at storage the lab owns.

buildah (Debian's) runs with the vfs driver (no overlay mounts or fuse needed, works in any
namespace), `chroot` isolation for RUN steps (root without a container runtime of its own), and
storage, run root and temporary files under `<cache>/containers/`: never /var/lib/containers,
which belongs to whoever else uses podman on the machine. (One thing no flag moves: as root,
containers/image keeps a small blob-info cache at /var/lib/containers/cache.)

Every command's output goes to a log file; on failure the error names it and shows its tail,
so the screen shows one progress line per image instead of pages of build output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..config import LabConfig
from .model import SOURCE_DATE_EPOCH, ImageBuildError

# The host's CA bundle: RUN steps that reach PyPI (pip in the Containerfile) trust what the
# host trusts, which matters where the host reaches registries through a TLS-inspecting proxy.
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def run_logged(argv: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None,
               cwd: Path | None = None, what: str) -> str:
    """Run, append stdout+stderr to `log`; return stdout. Raise with the log's tail on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(argv)}\n")
        out.flush()
        proc = subprocess.run(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                              stdout=subprocess.PIPE, stderr=out, text=True, check=False)
        out.write(proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise ImageBuildError(f"{what}: `{argv[0]} {argv[1] if len(argv) > 1 else ''}` failed "
                              f"({proc.returncode}); full log {log}\n{tail}")
    return proc.stdout


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ImageBuildError(f"{tool} is not installed; `make deps` (.ci/install-system-packages) "
                              "installs it")
    return path


class Buildah:
    def __init__(self, config: LabConfig, log: Path) -> None:
        self.root = config.cache_dir / "containers"
        self.log = log
        self.storage_conf = self.root / "storage.conf"
        self.tmp = self.root / "tmp"

    def env(self) -> dict[str, str]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        if not self.storage_conf.is_file():
            self.storage_conf.write_text(
                "# Written by exposure_lab.images: the lab's own image storage.\n"
                "[storage]\n"
                'driver = "vfs"\n'
                f'graphroot = "{self.root / "storage"}"\n'
                f'runroot = "{self.root / "run"}"\n')
        return {**os.environ, "CONTAINERS_STORAGE_CONF": str(self.storage_conf),
                "TMPDIR": str(self.tmp), "BUILDAH_ISOLATION": "chroot",
                "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH)}

    def __call__(self, *args: str, what: str, cwd: Path | None = None) -> str:
        argv = [require("buildah"), "--storage-driver", "vfs", "--root", str(self.root / "storage"),
                "--runroot", str(self.root / "run"), *args]
        return run_logged(argv, self.log, env=self.env(), cwd=cwd, what=what).strip()

    # -- the few operations the recipes use -----------------------------------------------
    def exists(self, ref: str) -> bool:
        argv = [require("buildah"), "--storage-driver", "vfs", "--root", str(self.root / "storage"),
                "--runroot", str(self.root / "run"), "inspect", "--type", "image", ref]
        return subprocess.run(argv, env=self.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=False).returncode == 0

    def from_image(self, base: str, name: str, what: str) -> str:
        """A working container named `name` (a leftover of that name is replaced)."""
        names = self("containers", "--noheading", "--format", "{{.ContainerName}}",
                     what="list containers").split()
        if name in names:
            self("rm", name, what=what)
        return self("from", "--pull=never", "--name", name, base, what=what)

    def config(self, container: str, what: str, **settings: str | Sequence[str]) -> None:
        args: list[str] = []
        for key, value in settings.items():
            flag = "--" + key.replace("_", "-")
            values = [value] if isinstance(value, str) else list(value)
            args += [part for v in values for part in (flag, v)]
        self("config", *args, container, what=what)

    def commit(self, container: str, ref: str, what: str) -> None:
        self("commit", "--rm", "--quiet", "--format", "oci", "--timestamp",
             str(SOURCE_DATE_EPOCH), container, ref, what=what)

    def push_archive(self, ref: str, archive: Path, what: str) -> None:
        archive.unlink(missing_ok=True)
        self("push", "--quiet", ref, f"docker-archive:{archive}:{ref}", what=what)

    def rmi(self, ref: str) -> None:
        if self.exists(ref):
            self("rmi", ref, what=f"remove {ref}")

    def images(self, prefix: str) -> list[str]:
        out = self("images", "--noheading", "--format", "{{.Name}}:{{.Tag}}", what="list images")
        return [line for line in out.splitlines() if line.startswith(prefix)]

    def remove_stale_containers(self) -> None:
        """Working containers left by an interrupted build (the storage is ours alone)."""
        self("rm", "--all", what="remove stale working containers")


def mmdebstrap(argv_tail: Sequence[str], log: Path, tmp: Path, what: str) -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp), "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH)}
    run_logged([require("mmdebstrap"), *argv_tail], log, env=env, what=what)
