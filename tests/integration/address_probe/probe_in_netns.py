"""Run the probe's module_utils inside a lab namespace: `ip netns exec NS python THIS JSON`.

Prints the module's result as JSON. Used by the tests and the benchmark.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / ".collections"))

from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import (  # noqa: E402
    parse_links,
)
from ansible_collections.baremetal.exposure.plugins.modules import address_probe  # noqa: E402


def main() -> None:
    import subprocess

    params = {"interface": None, "addresses": [], "pools": [], "allowed": [],
              "allowed_macs": [], "allocated_ips": [], "rate": 2000, "retries": 2,
              "interval": 0.2, "timeout": 1.0, **json.loads(sys.argv[1])}
    links = parse_links(json.loads(subprocess.run(["ip", "-j", "address", "show"], check=True,
                                                  capture_output=True, text=True).stdout))
    result, conflicts = address_probe.run(params, links)
    print(json.dumps({**result, "failed": bool(conflicts), "msg": conflicts}))


if __name__ == "__main__":
    main()
