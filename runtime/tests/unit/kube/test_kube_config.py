"""Kubeconfig and in-cluster settings, and building a TLS context from them."""

from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.kube.config import (
    ClusterSettings,
    TokenSource,
    in_cluster_settings,
    merge_kubeconfigs,
    read_kubeconfigs,
    settings_from_kubeconfig,
    ssl_context,
)
from baremetal_lb.kube.errors import KubeConfigError

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "kubeconfig.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_kubeconfig_case(case: dict[str, Any]) -> None:
    merged = merge_kubeconfigs([(d["doc"], d["dir"]) for d in case["docs"]])
    if "error" in case:
        with pytest.raises(KubeConfigError) as raised:
            settings_from_kubeconfig(merged, case.get("context"), source="test")
        for words in case["error"]:
            assert words in str(raised.value)
        return
    settings = settings_from_kubeconfig(merged, case.get("context"), source="test")
    for field, expected in case["expect"].items():
        got = getattr(settings, field)
        if isinstance(got, bytes):
            got = got.decode()
        assert got == expected, field


def test_read_kubeconfigs_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KubeConfigError, match="cannot read it"):
        read_kubeconfigs([str(tmp_path / "absent")])
    with pytest.raises(KubeConfigError, match="cannot read it"):
        read_kubeconfigs([str(tmp_path / "absent"), str(tmp_path / "also-absent")])


def test_missing_files_in_a_list_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    present = tmp_path / "config"
    present.write_text(yaml.safe_dump({
        "current-context": "c", "contexts": [{"name": "c", "context": {"cluster": "k"}}],
        "clusters": [{"name": "k", "cluster": {"server": "https://k",
                                               "certificate-authority": "pki/ca.crt"}}]}))
    merged = read_kubeconfigs([str(tmp_path / "absent"), str(present)])
    settings = settings_from_kubeconfig(merged)
    assert settings.ca_file == str(tmp_path / "pki" / "ca.crt")


def test_in_cluster(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("tok\n")
    settings = in_cluster_settings({"KUBERNETES_SERVICE_HOST": "fd00::1",
                                    "KUBERNETES_SERVICE_PORT": "443"}, str(tmp_path))
    assert settings.server == "https://[fd00::1]:443"
    assert settings.ca_file == str(tmp_path / "ca.crt")
    assert TokenSource(settings.token, settings.token_file)() == "tok"
    with pytest.raises(KubeConfigError, match="KUBERNETES_SERVICE_HOST"):
        in_cluster_settings({}, str(tmp_path))
    with pytest.raises(KubeConfigError, match="automountServiceAccountToken"):
        in_cluster_settings({"KUBERNETES_SERVICE_HOST": "10.0.0.1",
                             "KUBERNETES_SERVICE_PORT": "443"}, str(tmp_path / "none"))


def test_token_file_is_reread_after_a_minute(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("one")
    now = [0.0]
    source = TokenSource(None, str(token_file), clock=lambda: now[0])
    assert source() == "one"
    token_file.write_text("two")
    now[0] = 30.0
    assert source() == "one"
    now[0] = 61.0
    assert source() == "two"
    token_file.unlink()
    now[0] = 200.0
    assert source() == "two", "a vanished file keeps the last token rather than failing"


def _self_signed(tmp_path: Path) -> tuple[bytes, bytes]:
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(crt), "-days", "1", "-subj", "/CN=test"], check=True,
                   capture_output=True)
    return crt.read_bytes(), key.read_bytes()


def test_ssl_context_loads_inline_material_and_leaves_no_files(tmp_path: Path) -> None:
    crt, key = _self_signed(tmp_path)
    before = set(os.listdir("/tmp"))
    ctx = ssl_context(ClusterSettings(server="https://x", ca_pem=crt, cert_pem=crt,
                                      key_pem=key))
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert [c["subject"] for c in ctx.get_ca_certs()] == [((("commonName", "test"),),)], \
        "only the cluster CA is trusted, not the system store"
    assert {n for n in set(os.listdir("/tmp")) - before if n.startswith("baremetal-lb")} == set()


def test_ssl_context_errors_name_the_fix(tmp_path: Path) -> None:
    crt, _ = _self_signed(tmp_path)
    with pytest.raises(KubeConfigError, match="client-key"):
        ssl_context(ClusterSettings(server="https://x", cert_pem=crt))
    with pytest.raises(KubeConfigError, match="certificate-authority"):
        ssl_context(ClusterSettings(server="https://x", ca_pem=b"garbage"))
    insecure = ssl_context(ClusterSettings(server="https://x", insecure=True))
    assert insecure.verify_mode == ssl.CERT_NONE and not insecure.check_hostname
