"""What a build hands back, and the names every part of the package agrees on."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Every image the lab builds lives under this repository name, tagged with its input hash.
REPOSITORY = "localhost/exposure-lab"
TAG_LENGTH = 16  # hex digits of the input hash in the tag
# Fixed creation time and layer mtimes, so that the same inputs give the same image digest.
SOURCE_DATE_EPOCH = 1767225600  # 2026-01-01T00:00:00Z

Progress = Callable[[str], None]


def stderr_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def reference(name: str, key: str) -> str:
    """The image reference for an input hash: content-addressed, so `IfNotPresent` is always
    right and a changed input gives a changed reference (and so a rollout)."""
    return f"{REPOSITORY}/{name}:{key[:TAG_LENGTH]}"


@dataclass(frozen=True)
class Image:
    name: str  # short name: pause, kube-proxy, baremetal-lb, ...
    ref: str  # localhost/exposure-lab/<name>:<tag>
    archive: Path  # docker-archive tar that `ctr images import` reads
    digest: str  # sha256 of the image config = the image ID that crictl shows
    key: str  # full input hash
    size: int  # archive bytes
    seconds: float  # how long the build took (0 when reused)
    reused: bool  # True when this run built nothing for it

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "ref": self.ref, "archive": str(self.archive),
                "digest": self.digest, "key": self.key, "size": self.size,
                "seconds": round(self.seconds, 1)}

    @classmethod
    def from_json(cls, data: dict[str, object], reused: bool) -> Image:
        return cls(name=str(data["name"]), ref=str(data["ref"]), archive=Path(str(data["archive"])),
                   digest=str(data["digest"]), key=str(data["key"]), size=int(str(data["size"])),
                   seconds=float(str(data["seconds"])), reused=reused)


class ImageBuildError(RuntimeError):
    """A build step failed; the message names the image and the log with the details."""
