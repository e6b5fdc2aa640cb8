"""The site run as AWX runs it: ansible-runner with a private data directory.

AWX prepares a directory for each job: inventory/ (the inventory), env/extravars (what the
survey set), env/envvars (the credentials' injected environment), project/ (the project's
checkout), and runs `ansible-runner` on it inside the execution environment. This test builds
the same directory for the lab (the credentials are the lab's, as extensions/awx's credential
types would inject them; the collection comes from the checkout, as the execution environment
would hold it) and runs the real ansible-runner CLI twice: both runs succeed, the survey's
variables reach the playbook, the second run changes nothing, and no secret appears in the
output or the job events.

The CLI, not the Python API: tests/integration/ansible_runner.py (this suite's own helper)
shadows the ansible_runner package on sys.path. Runs after test_site_playbook.py (conftest).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from exposure_lab import Lab, lifecycle

from ansible_runner import REPO

RUNNER = Path(sys.executable).with_name("ansible-runner")
SITE = "playbooks/site.yml"
SECRETS = ("NETBOX_TOKEN", "KEA_API_PASSWORD")


def private_data_dir(root: Path, lab: Lab, report_dir: Path) -> Path:
    pdd = root / "pdd"
    shutil.copytree(REPO / "lab" / "inventory", pdd / "inventory")
    shutil.copytree(REPO / "playbooks", pdd / "project" / "playbooks")
    (pdd / "env").mkdir()
    envvars = {
        # What the credential types inject (extensions/awx/credential_types).
        **lifecycle.environment(lab.config),
        # What the execution environment provides: the collection, and here the lab's
        # connection plugin (the lab's hosts are namespaces, not SSH hosts).
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
        "ANSIBLE_CONNECTION_PLUGINS": str(REPO / "lab" / "ansible_plugins" / "connection"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_NOCOLOR": "1",
    }
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    # As the site-run job template's survey sets them (extensions/awx/job_templates/site_run.yml):
    # every answer a string or an integer.
    survey = {"ipam_reservation_prune": "false", "dhcp_reservation_ignore_existing_leases": "false",
              "verify_retries": 10, "address_plan_report_dir": str(report_dir)}
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(survey))
    (pdd / "env" / "settings").write_text(yaml.safe_dump({"job_timeout": 1800}))
    return pdd


def run(pdd: Path, ident: str) -> dict[str, Any]:
    env = {**os.environ, "PATH": f"{RUNNER.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(RUNNER), "run", str(pdd), "-p", SITE, "--ident", ident],
                          capture_output=True, text=True, env=env, timeout=2400, check=False)
    artifacts = pdd / "artifacts" / ident
    events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    stats = next((e["event_data"] for e in events if e.get("event") == "playbook_on_stats"), {})
    return {"rc": proc.returncode, "status": (artifacts / "status").read_text().strip(),
            "stdout": (artifacts / "stdout").read_text(), "events": events,
            "changed": sum((stats.get("changed") or {}).values()), "cli": proc}


@pytest.fixture(scope="module")
def runs(lab: Lab, demo_app: None,
         tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any], Path, Path]:
    if not RUNNER.exists():
        pytest.skip("ansible-runner is not installed in the venv (requirements-dev.txt)")
    root = tmp_path_factory.mktemp("awx")
    reports = root / "reports"
    reports.mkdir()
    pdd = private_data_dir(root, lab, reports)
    return run(pdd, "first"), run(pdd, "second"), pdd, reports


def test_the_site_run_succeeds_through_ansible_runner(runs: Any) -> None:
    first, second, _, _ = runs
    for result in (first, second):
        assert (result["rc"], result["status"]) == (0, "successful"), (
            result["stdout"][-3000:] + result["cli"].stderr[-2000:])


def test_the_survey_answers_reach_the_playbook(runs: Any) -> None:
    _, _, _, reports = runs
    assert (reports / "lab.md").exists(), "address_plan_report_dir from the survey was not used"


def test_a_second_run_changes_nothing(runs: Any) -> None:
    _, second, _, _ = runs
    assert second["changed"] == 0, [e["event_data"].get("task") for e in second["events"]
                                    if e.get("event") == "runner_on_ok"
                                    and e["event_data"].get("res", {}).get("changed")]


def test_no_secret_in_the_output_or_the_events(runs: Any, lab: Lab) -> None:
    first, second, _, _ = runs
    values = [v for k, v in lifecycle.environment(lab.config).items() if k in SECRETS and v]
    assert values, "the lab gave no secret to look for"
    for result in (first, second):
        text = result["stdout"] + json.dumps(result["events"])
        for value in values:
            assert value not in text
