"""Loading built images into a node's containerd (no registry: `ctr images import`).

`ctr` reads docker-archive tars directly and records the image under the archive's RepoTags,
unpacked for the given snapshotter (the CRI plugin's, `overlayfs` unless the node's containerd
config says otherwise), in the namespace the kubelet uses (`k8s.io`). Layers already in the
node's content store (the shared Debian base) are not stored twice.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .model import Image


def ctr_argv(ctr: str, socket: Path | str, namespace: str, *args: str) -> list[str]:
    return [ctr, "--address", str(socket), "--namespace", namespace, *args]


def present(socket: Path | str, namespace: str, ref: str, ctr: str = "ctr") -> bool:
    argv = ctr_argv(ctr, socket, namespace, "images", "ls", "--quiet", f"name=={ref}")
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return ref in out.split()


def import_into(socket: Path | str, namespace: str, image: Image, *, ctr: str = "ctr",
                snapshotter: str | None = None, force: bool = False) -> bool:
    """Import `image` unless its reference is already there; True when it imported.

    The reference is the input hash, so a present reference is the same image, except after a
    forced rebuild from unchanged inputs: pass `force=not image.reused` to re-import then.
    """
    if not force and present(socket, namespace, image.ref, ctr):
        return False
    args = ["images", "import"]
    if snapshotter:
        args += ["--snapshotter", snapshotter]
    proc = subprocess.run(ctr_argv(ctr, socket, namespace, *args, str(image.archive)),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ctr import of {image.ref} into {socket} ({namespace}) failed: "
                           f"{proc.stderr.strip() or proc.stdout.strip()}")
    return True
