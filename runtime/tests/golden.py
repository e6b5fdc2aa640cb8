"""Rewrites the runtime's golden files from the code as it is: `make golden` runs this.

Tests only compare against these files; after running this, review the diff like code
(`git diff runtime/tests`). Written:
- tests/unit/bgp/golden/<case>.conf: render() of each case of bgp/render_cases.yaml;
- tests/unit/config/legacy_cases/<case>.printed.yaml: what `baremetal-lb import-configmap`
  prints for each case of legacy_cases/cases.yaml (the hand-reviewed <case>.expected.yaml
  files are compared structurally and never rewritten).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).parent
UNIT = HERE / "unit"


def import_configmap_argv(case: dict[str, str]) -> list[str]:
    """The command whose output is a legacy case's printed golden (also used by the test)."""
    argv = [sys.executable, "-m", "baremetal_lb", "import-configmap",
            str(UNIT / "config" / "legacy_cases" / f"{case['case']}.input.yaml")]
    return argv + (["--namespace", case["namespace"]] if "namespace" in case else [])


def main() -> int:
    sys.path.insert(0, str(UNIT / "bgp"))
    import bgp_yaml

    from baremetal_lb.bgp.render import render

    written = []
    for case in bgp_yaml.load("render_cases.yaml"):
        path = UNIT / "bgp" / "golden" / f"{case['name']}.conf"
        path.write_text(render(bgp_yaml.config(case["config"])).text())
        written.append(path)
    cases = UNIT / "config" / "legacy_cases"
    for case in yaml.safe_load((cases / "cases.yaml").read_text()):
        path = cases / f"{case['case']}.printed.yaml"
        path.write_text(subprocess.run(import_configmap_argv(case), check=True,
                                       capture_output=True, text=True).stdout)
        written.append(path)
    for path in written:
        print(path.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
