"""import_into against a stand-in `ctr` that records its arguments (no containerd is started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exposure_lab.images.containerd import import_into
from exposure_lab.images.model import Image

FAKE_CTR = """#!/bin/sh
echo "$*" >> "{log}"
case "$*" in
  *"images ls"*) cat "{listing}" ;;
esac
"""


@pytest.fixture
def ctr(tmp_path: Path) -> tuple[str, Path, Path]:
    log, listing = tmp_path / "calls", tmp_path / "listing"
    listing.write_text("")
    script = tmp_path / "ctr"
    script.write_text(FAKE_CTR.format(log=log, listing=listing))
    script.chmod(0o755)
    return str(script), log, listing


def _image(tmp_path: Path) -> Image:
    return Image(name="pause", ref="localhost/exposure-lab/pause:0123456789abcdef",
                 archive=tmp_path / "image.tar", digest="sha256:00", key="0" * 64, size=1,
                 seconds=0.0, reused=True)


def test_imports_when_absent_then_skips(ctr: tuple[str, Path, Path], tmp_path: Path) -> None:
    binary, log, listing = ctr
    image = _image(tmp_path)
    assert import_into("/run/xl/node1/containerd.sock", "k8s.io", image, ctr=binary,
                       snapshotter="overlayfs")
    calls = log.read_text().splitlines()
    prefix = "--address /run/xl/node1/containerd.sock --namespace k8s.io images"
    assert calls == [f"{prefix} ls --quiet name=={image.ref}",
                     f"{prefix} import --snapshotter overlayfs {image.archive}"]
    listing.write_text(image.ref + "\n")
    assert not import_into("/run/xl/node1/containerd.sock", "k8s.io", image, ctr=binary)
    assert import_into("/run/xl/node1/containerd.sock", "k8s.io", image, ctr=binary, force=True)
    assert log.read_text().count("images import") == 2
