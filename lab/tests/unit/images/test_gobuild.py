from __future__ import annotations

import pytest

from exposure_lab.images.gobuild import parse_replaces, render_module

TRAEFIK_LIKE = """module github.com/traefik/traefik/v3

go 1.25.0

require (
	github.com/abbot/go-http-auth v0.0.0-00010101000000-000000000000
)

// Containous forks
replace (
	github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.2020
	github.com/gorilla/mux => github.com/containous/mux v0.0.0-2025 // fork

)

replace github.com/mailgun/minheap => github.com/containous/minheap v0.0.0-2019
"""


def test_parse_replaces_block_and_single_lines() -> None:
    assert parse_replaces(TRAEFIK_LIKE) == [
        "github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.2020",
        "github.com/gorilla/mux => github.com/containous/mux v0.0.0-2025",
        "github.com/mailgun/minheap => github.com/containous/minheap v0.0.0-2019",
    ]


@pytest.mark.parametrize("line", ["replace example.com/a => ./a",
                                  "replace (\n\texample.com/a => /abs/a\n)"])
def test_local_replacements_cannot_leave_their_module(line: str) -> None:
    with pytest.raises(ValueError, match="outside its module"):
        parse_replaces(f"module x\n\n{line}\n")


def test_render_module() -> None:
    gomod, tools = render_module("exposurelab.invalid/t", "1.26", {"example.com/m/v3": "v3.1.0"},
                                 ["example.com/a => example.com/b v1.0.0"],
                                 ["example.com/m/v3/cmd/m"])
    assert gomod == ("module exposurelab.invalid/t\n\ngo 1.26\n\n"
                     "require (\n\texample.com/m/v3 v3.1.0\n)\n"
                     "\nreplace (\n\texample.com/a => example.com/b v1.0.0\n)\n")
    assert tools.startswith("//go:build tools\n\npackage tools\n")
    assert '\t_ "example.com/m/v3/cmd/m"\n' in tools
