"""Session fixtures: one real lab for the whole integration run.

By default the session starts from a fresh lab (a lab that is already up, e.g. after
`make demo`, is taken down first, since its services may hold changed configuration), and the
lifecycle test at the very end takes it down and proves that nothing is left behind. With
EXPOSURE_LAB_REUSE=1 a running lab is used as it is and left up (quick local iterations).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from exposure_lab import Lab, LabConfig, lifecycle
from exposure_lab.snapshot import MachineSnapshot

from ansible_runner import REPO, AnsibleRunner

LAST = "lab/test_lifecycle.py"
# Tests that leave the cluster changed run after every test that expects the lab's starting
# state, and before the lab is taken down, in this order: the cluster-side roles (their load
# balancer is removed after the last of them, cluster_side/conftest.py; while installed, its
# controller takes the unclassed Services the load balancer tests expect left alone); the whole site
# playbook (it leaves the lab changed, as an operator's run would); then the tests that need
# the converged site: the run as AWX runs it (ansible-runner), the diagnosis (which breaks one
# step at a time and restores it) and the secrets run (which changes the router's BGP password).
AFTER_OTHERS = ("cluster_side/", "site/test_site_playbook.py", "awx/test_ansible_runner.py",
                "site/test_diagnose.py", "site/test_site_secrets.py")


def pytest_configure(config: pytest.Config) -> None:
    # `make test` runs `-m "not long"` to stay inside CI's 90 minutes; `make integration-long`
    # runs the rest (docs/development.md lists them and why each is there).
    config.addinivalue_line("markers", "long: a long scenario outside CI's time budget "
                            "(make integration-long)")


def _rank(item: pytest.Item) -> int:
    return next((rank for rank, name in enumerate(AFTER_OTHERS, 1) if name in item.nodeid), 0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: (LAST in item.nodeid, _rank(item)))


@pytest.fixture(scope="session")
def lab_config() -> LabConfig:
    return LabConfig(nodes=int(os.environ.get("EXPOSURE_LAB_NODES", "3")))


@pytest.fixture(scope="session")
def lab_services() -> list[str]:
    """All services, or the ones named in EXPOSURE_LAB_SERVICES (for quick local runs)."""
    return lifecycle.resolve(os.environ.get("EXPOSURE_LAB_SERVICES", "").split() or None)


@pytest.fixture(scope="session")
def lab_reused(lab_config: LabConfig, lab_services: list[str]) -> bool:
    services = lifecycle.status(lab_config)["services"]
    running = all(services[name].get("up") for name in lab_services)
    if running and os.environ.get("EXPOSURE_LAB_REUSE") == "1":
        return True
    if lab_config.state_file.exists():
        leftovers = lifecycle.down(lab_config)
        assert leftovers == [], f"could not take the previous lab down: {leftovers}"
    return False


@pytest.fixture(scope="session")
def machine_before(lab_config: LabConfig, lab_reused: bool) -> MachineSnapshot | None:
    """The machine as the session found it, before any lab of ours existed."""
    return None if lab_reused else MachineSnapshot.take(lab_config)


@pytest.fixture(scope="session")
def lab(lab_config: LabConfig, lab_services: list[str], lab_reused: bool,
        machine_before: MachineSnapshot | None) -> Iterator[Lab]:
    lab = Lab(lab_config) if lab_reused else lifecycle.up(lab_config, lab_services)
    yield lab
    if not lab_reused:
        lifecycle.down(lab_config)


@pytest.fixture(scope="session")
def ansible(lab: Lab) -> AnsibleRunner:
    """Runs ansible-playbook against the lab inventory (lab/ansible.cfg), with the lab's
    secrets in the environment the way an AWX credential would put them."""
    return AnsibleRunner(lab)


@pytest.fixture(scope="session")
def demo_app(ansible: AnsibleRunner) -> None:
    """The lab's demo application (lab/playbooks/demo-app.yml): the lab inventory's verify stage
    expects its answer through the ingress VIP (Host demo.lab.example, body with "pod="), as
    `make demo` deploys it before site.yml."""
    result = ansible.playbook(REPO / "lab" / "playbooks" / "demo-app.yml")
    assert result.rc == 0, "\n".join(result.failure_messages()) or result.stderr[-3000:]
