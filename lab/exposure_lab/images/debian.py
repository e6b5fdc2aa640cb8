"""One Debian root filesystem, made by mmdebstrap from Debian's packages, shared as the base layer
of kube-proxy, FRR, baremetal-lb and the HTTP backend.

One base instead of four: one mmdebstrap run (about a minute) instead of four, and containerd
stores the shared layer once per node. It holds exactly what those images exec:

* kube-proxy: iptables (nft and legacy), nftables (`nft`), conntrack;
* FRR and the speaker's BGP mode: frr, frr-pythontools (vtysh, frr-reload.py);
* baremetal-lb and the HTTP backend: python3 with venv (the Containerfile's pip runs in one);
* ca-certificates (also the bundle copied into the Traefik image).

The packages come from the suite the host runs, through the host's own apt sources (so the
same mirror apt uses); `--variant=essential` leaves apt out, the merged-usr hook avoids
`usrmerge` (and the Perl it pulls in), and documentation is not unpacked.
"""

from __future__ import annotations

import os
from pathlib import Path

from .inputs import InputHash
from .model import reference
from .tools import Buildah, mmdebstrap

NAME = "debian-base"
PACKAGES = (
    "ca-certificates",
    "conntrack",
    "frr",
    "frr-pythontools",
    "iptables",
    "nftables",
    "python3",
    "python3-venv",
)
EXCLUDED_PATHS = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*",
                  "/usr/share/locale/*", "/usr/share/lintian/*")
MERGED_USR_HOOK = Path("/usr/share/mmdebstrap/hooks/merged-usr")


def host_suite(os_release: Path = Path("/etc/os-release")) -> str:
    for line in os_release.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME" and value.strip('"'):
            return value.strip('"')
    raise RuntimeError(f"{os_release} names no VERSION_CODENAME: which Debian suite is this?")


def apt_sources() -> Path:
    """The host's Debian sources file (deb822 or one-line), pasted into the chroot as is."""
    override = os.environ.get("EXPOSURE_LAB_APT_SOURCES")
    candidates = [Path(override)] if override else [
        Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")]
    for path in candidates:
        if path.is_file():
            return path
    raise RuntimeError("no apt sources for mmdebstrap: set EXPOSURE_LAB_APT_SOURCES to a "
                       "sources.list or deb822 .sources file naming a Debian mirror")


def key() -> str:
    h = InputHash(NAME)
    h.add("suite", host_suite())
    h.add("packages", " ".join(PACKAGES))
    h.add("excluded", " ".join(EXCLUDED_PATHS))
    h.add("sources", apt_sources().read_text())
    h.add_file("recipe", Path(__file__))
    return h.hexdigest()


def mmdebstrap_args(suite: str, sources: Path, output: Path) -> list[str]:
    args = ["--variant=essential", "--include=" + ",".join(PACKAGES), "--format=tar"]
    if MERGED_USR_HOOK.is_dir():
        args.append(f"--hook-dir={MERGED_USR_HOOK}")
    args += [f"--dpkgopt=path-exclude={p}" for p in EXCLUDED_PATHS]
    # Keep the copyright files (licences travel with the binaries).
    args.append("--dpkgopt=path-include=/usr/share/doc/*/copyright")
    return [*args, suite, str(output), str(sources)]


def rootfs(cache_root: Path, base_key: str) -> Path:
    return cache_root / NAME / base_key / "rootfs.tar"


def build_rootfs(target: Path, log: Path, tmp: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.tar")
    partial.unlink(missing_ok=True)
    mmdebstrap(mmdebstrap_args(host_suite(), apt_sources(), partial), log, tmp,
               what=f"{NAME}: mmdebstrap")
    partial.replace(target)


def import_rootfs(buildah: Buildah, tar: Path, ref: str) -> None:
    """rootfs tar -> one-layer image `ref` in the lab's buildah storage."""
    what = f"{NAME}: import"
    ctr = buildah.from_image("scratch", "xl-debian-base", what)
    buildah("add", ctr, str(tar), "/", what=what)
    path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    buildah.config(ctr, what, env=path, cmd="/bin/bash")
    buildah.commit(ctr, ref, what)


def base_ref(base_key: str) -> str:
    return reference(NAME, base_key)
