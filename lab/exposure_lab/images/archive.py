"""Reading (and, for tests, writing) docker-archive tars: the format `ctr images import` takes.

Layout (the one `docker save` and `buildah push docker-archive:` write): `manifest.json` is a
list with one entry {"Config": "<sha>.json", "RepoTags": [ref], "Layers": ["<sha>.tar", ...]};
the config file's sha256 is the image ID.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ArchiveInfo:
    repo_tags: list[str]
    config_digest: str  # "sha256:<hex>" of the config file's bytes
    layers: int


def read_archive(path: Path) -> ArchiveInfo:
    with tarfile.open(path) as tar:
        manifest = json.loads(_member(tar, "manifest.json"))
        if not isinstance(manifest, list) or len(manifest) != 1:
            raise ValueError(f"{path}: expected one image in manifest.json, found "
                             f"{len(manifest) if isinstance(manifest, list) else manifest!r}")
        entry = manifest[0]
        config = _member(tar, entry["Config"])
    return ArchiveInfo(repo_tags=list(entry.get("RepoTags") or []),
                       config_digest="sha256:" + hashlib.sha256(config).hexdigest(),
                       layers=len(entry.get("Layers") or []))


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    handle = tar.extractfile(name)
    if handle is None:
        raise ValueError(f"{name} is not a regular file in the archive")
    return handle.read()


def write_archive(path: Path, ref: str, config: dict[str, object], layer: bytes) -> str:
    """A one-layer docker-archive by hand; returns the config digest. The lab builds with
    buildah; this exists so tests can make archives without it."""
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = {**config, "rootfs": {"type": "layers", "diff_ids": [diff_id]}}
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_hex = hashlib.sha256(config_bytes).hexdigest()
    layer_name = f"{diff_id.removeprefix('sha256:')}.tar"
    manifest = [{"Config": f"{config_hex}.json", "RepoTags": [ref], "Layers": [layer_name]}]
    with tarfile.open(path, "w") as tar:
        for name, data in ((layer_name, layer), (f"{config_hex}.json", config_bytes),
                           ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o444
            tar.addfile(info, io.BytesIO(data))
    return "sha256:" + config_hex
