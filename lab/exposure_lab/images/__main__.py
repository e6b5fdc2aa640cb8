"""python -m exposure_lab.images [--force] [--only NAME ...] [--refs] [--json]"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..config import LabConfig
from .build import NAMES, build_all, refs
from .model import ImageBuildError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m exposure_lab.images",
        description="Build the lab's images (cached by the hash of their inputs) and print "
                    "each reference, archive, size and build time.")
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME",
                        help=f"only these images ({', '.join(NAMES)})")
    parser.add_argument("--refs", action="store_true",
                        help="print the references the current inputs give; build nothing")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    config = LabConfig()
    try:
        if args.refs:
            found = refs(config, args.only)
            print(json.dumps(found, indent=2) if args.json
                  else "\n".join(f"{name}\t{ref}" for name, ref in found.items()))
            return 0
        started = time.monotonic()
        images = build_all(config, force=args.force, only=args.only)
    except (ImageBuildError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({n: {**i.to_json(), "reused": i.reused} for n, i in images.items()},
                         indent=2))
        return 0
    for image in images.values():
        how = "reused" if image.reused else f"built in {image.seconds:.0f} s"
        print(f"{image.name:13} {image.size / 1e6:6.0f} MB  {how:16} {image.ref}  {image.archive}")
    print(f"total {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
