"""The images the lab runs, built here from Debian packages, Go modules and this repository.

    images = build_all(LabConfig(), progress)        # {name: Image(ref, archive, digest, ...)}
    import_into(node_socket, "k8s.io", images["pause"])

`python -m exposure_lab.images [--force] [--only NAME ...] [--refs]` does the same from a shell.
"""

from .build import NAMES, build_all, refs
from .containerd import import_into
from .model import REPOSITORY, Image, ImageBuildError

__all__ = ["NAMES", "REPOSITORY", "Image", "ImageBuildError", "build_all", "import_into", "refs"]
