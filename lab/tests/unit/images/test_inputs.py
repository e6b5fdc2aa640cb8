from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from exposure_lab.images.inputs import InputHash, containerfile_sources, tree_files

CASES = yaml.safe_load((Path(__file__).parent / "containerfile_cases.yml").read_text())
REPO = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_containerfile_sources(case: dict) -> None:
    if "error" in case:
        with pytest.raises(ValueError, match=case["error"]):
            containerfile_sources(case["text"])
    else:
        assert containerfile_sources(case["text"]) == case["sources"]


def test_the_real_containerfile_reads_what_the_lab_hashes() -> None:
    text = (REPO / "runtime" / "Containerfile").read_text()
    assert containerfile_sources(text) == ["pyproject.toml", "README.md", "src"]
    assert "ARG BASE_IMAGE=" in text.split("FROM", 1)[0]


def test_labels_keep_values_apart() -> None:
    assert InputHash("k").add("ab", "c").hexdigest() != InputHash("k").add("a", "bc").hexdigest()
    assert InputHash("k").add("a", "1").hexdigest() != InputHash("j").add("a", "1").hexdigest()
    assert InputHash("k").add("a", "1").hexdigest() == InputHash("k").add("a", b"1").hexdigest()


def _tree(root: Path) -> None:
    (root / "src" / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "src" / "pkg" / "__pycache__" / "m.cpython-313.pyc").write_bytes(b"junk")
    (root / "src" / "pkg" / "m.py").write_text("x = 1\n")
    (root / "src" / "pkg.egg-info").mkdir()
    (root / "src" / "pkg.egg-info" / "PKG-INFO").write_text("meta")
    (root / "README.md").write_text("hello\n")


def _key(root: Path) -> str:
    return InputHash("t").add_files(root, tree_files(root, ["README.md", "src"])).hexdigest()


def test_tree_files_skip_caches_and_metadata(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert tree_files(tmp_path, ["README.md", "src"]) == ["README.md", "src/pkg/m.py"]


def test_content_and_mode_count_mtime_does_not(tmp_path: Path) -> None:
    _tree(tmp_path)
    first = _key(tmp_path)
    os.utime(tmp_path / "README.md", (1, 1))
    (tmp_path / "src" / "pkg" / "__pycache__" / "m.cpython-313.pyc").write_bytes(b"other")
    assert _key(tmp_path) == first
    (tmp_path / "README.md").chmod(0o755)
    assert _key(tmp_path) != first
    (tmp_path / "README.md").chmod(0o644)
    assert _key(tmp_path) == first
    (tmp_path / "src" / "pkg" / "m.py").write_text("x = 2\n")
    assert _key(tmp_path) != first


def test_tree_files_refuse_missing_and_outside(tmp_path: Path) -> None:
    _tree(tmp_path)
    with pytest.raises(FileNotFoundError):
        tree_files(tmp_path, ["LICENSE"])
    with pytest.raises(ValueError, match="outside"):
        tree_files(tmp_path / "src", ["../README.md"])
