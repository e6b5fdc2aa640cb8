from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from exposure_lab.config import LabConfig
from exposure_lab.images.archive import read_archive, write_archive
from exposure_lab.images.cache import ImageCache
from exposure_lab.images.model import Image, reference


def _layer() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hello")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    return buf.getvalue()


def test_archive_round_trip(tmp_path: Path) -> None:
    ref = reference("pause", "ab" * 32)
    digest = write_archive(tmp_path / "a.tar", ref,
                           {"architecture": "amd64", "os": "linux",
                            "config": {"Entrypoint": ["/hello"]}}, _layer())
    info = read_archive(tmp_path / "a.tar")
    assert info.repo_tags == [ref] and info.layers == 1 and info.config_digest == digest
    with tarfile.open(tmp_path / "a.tar") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert set(names) == {"manifest.json", manifest[0]["Config"], *manifest[0]["Layers"]}


def test_two_images_in_one_archive_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "two.tar"
    write_archive(path, "localhost/x:1", {"os": "linux"}, _layer())
    with tarfile.open(path, "a") as tar:
        data = json.dumps([{"Config": "a", "Layers": []}, {"Config": "b", "Layers": []}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ValueError, match="one image"):
        read_archive(path)


def test_reference_is_the_input_hash() -> None:
    assert reference("baremetal-lb", "0123456789abcdef" + "f" * 48) == \
        "localhost/exposure-lab/baremetal-lb:0123456789abcdef"


def _image(cache: ImageCache, key: str) -> Image:
    path = cache.fresh_dir("frr", key) / "image.tar"
    path.write_bytes(b"x" * 10)
    return Image(name="frr", ref=reference("frr", key), archive=path, digest="sha256:00",
                 key=key, size=10, seconds=3.0, reused=False)


def test_cache_round_trip_reuse_and_prune(tmp_path: Path) -> None:
    cache = ImageCache(LabConfig(cache_dir=tmp_path))
    keys = [c * 64 for c in "abcd"]
    for age, key in enumerate(keys):
        cache.save(_image(cache, key))
        record = cache.dir("frr", key) / "image.json"
        os.utime(record, (1000 + age, 1000 + age))
    assert cache.load("frr", "e" * 64) is None
    loaded = cache.load("frr", keys[0])  # reuse makes "a" the most recently used
    assert loaded is not None and loaded.reused and loaded.ref == reference("frr", keys[0])
    new = "f" * 64
    cache.save(_image(cache, new))
    # A build keeps itself and the most recently used other (another checkout's build must
    # survive this one's), and drops the rest.
    assert cache.prune("frr", keep=new) == [cache.dir("frr", k) for k in keys[1:]]
    assert cache.kept("frr") == sorted([keys[0], new])


def test_cache_never_reuses_a_damaged_archive(tmp_path: Path) -> None:
    cache = ImageCache(LabConfig(cache_dir=tmp_path))
    image = _image(cache, "c" * 64)
    cache.save(image)
    image.archive.write_bytes(b"short")
    assert cache.load("frr", image.key) is None
    image.archive.unlink()
    assert cache.load("frr", image.key) is None


def test_a_build_without_its_record_is_not_reused(tmp_path: Path) -> None:
    cache = ImageCache(LabConfig(cache_dir=tmp_path))
    _image(cache, "d" * 64)  # archive written, record never saved: an interrupted build
    assert cache.load("frr", "d" * 64) is None
