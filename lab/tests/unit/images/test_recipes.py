"""Keys of the recipes change with their inputs and with nothing else (tools never run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exposure_lab.config import LabConfig
from exposure_lab.images import baremetal_lb, debian
from exposure_lab.images.context import BuildContext

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "runtime"
    for name in ("Containerfile", "pyproject.toml", "README.md"):
        copy.mkdir(exist_ok=True)
        shutil.copy(REPO / "runtime" / name, copy / name)
    shutil.copytree(REPO / "runtime" / "src", copy / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    monkeypatch.setenv("EXPOSURE_LAB_RUNTIME_DIR", str(copy))
    monkeypatch.setattr(debian, "key", lambda: "base" * 16)
    return copy


def _key(tmp_path: Path) -> str:
    return baremetal_lb.key(BuildContext(LabConfig(cache_dir=tmp_path / "cache"), print))


def test_baremetal_lb_key_follows_the_context(runtime: Path, tmp_path: Path) -> None:
    first = _key(tmp_path)
    (runtime / "tests").mkdir()
    (runtime / "tests" / "test_new.py").write_text("# not copied by the Containerfile\n")
    (runtime / "src" / "baremetal_lb" / "__pycache__").mkdir(exist_ok=True)
    (runtime / "src" / "baremetal_lb" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert _key(tmp_path) == first
    with open(runtime / "src" / "baremetal_lb" / "cli.py", "a") as handle:
        handle.write("# changed\n")
    assert _key(tmp_path) != first


def test_staged_context_holds_exactly_the_hashed_files(runtime: Path, tmp_path: Path) -> None:
    staged = tmp_path / "staged"
    baremetal_lb.stage_context(staged)
    files = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file())
    assert files == baremetal_lb.context_files()
    assert "pyproject.toml" in files and not any("__pycache__" in f for f in files)


def test_host_suite(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n')
    assert debian.host_suite(release) == "bookworm"
    release.write_text("ID=debian\n")
    with pytest.raises(RuntimeError, match="VERSION_CODENAME"):
        debian.host_suite(release)


def test_mmdebstrap_args_take_the_packages_the_images_exec(tmp_path: Path) -> None:
    args = debian.mmdebstrap_args("bookworm", Path("/etc/apt/sources.list"), tmp_path / "r.tar")
    assert args[-3:] == ["bookworm", str(tmp_path / "r.tar"), "/etc/apt/sources.list"]
    include = next(a for a in args if a.startswith("--include=")).split("=", 1)[1].split(",")
    for needed in ("iptables", "nftables", "conntrack", "frr", "frr-pythontools", "python3",
                   "python3-venv", "ca-certificates"):
        assert needed in include
    assert "--variant=essential" in args
