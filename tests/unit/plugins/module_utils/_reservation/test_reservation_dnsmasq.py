# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import base, dnsmasq

with open(os.path.join(os.path.dirname(__file__), "test_reservation_dnsmasq.yml")) as _f:
    CASES = yaml.safe_load(_f)


@pytest.mark.parametrize("case", CASES["lines"], ids=[c["id"] for c in CASES["lines"]])
def test_parse_render_round_trip(case):
    entry = dnsmasq.parse_line(case["line"])
    assert entry["tags"] == case["tags"]
    assert (str(entry["first"]), str(entry["last"])) == (case["first"], case["last"])
    assert entry["tail"] == case["tail"]
    assert dnsmasq.render_line(entry) == case["line"]


@pytest.mark.parametrize("line", CASES["unmanaged"])
def test_unmanaged_lines(line):
    assert dnsmasq.parse_line(line) is None


@pytest.mark.parametrize("case", CASES["plan"], ids=[c["id"] for c in CASES["plan"]])
def test_plan_text(case):
    exclude = base.parse_excludes(case["exclude"])
    after = dnsmasq.plan_text(case["before"], exclude)
    assert after == case["after"]
    assert dnsmasq.plan_text(after, exclude) == after


def test_leases_active_only():
    text = ("100 02:00:5e:40:00:01 198.51.100.185 host1 *\n"
            "0 02:00:5e:40:00:02 198.51.100.186 * *\n"
            "5000 02:00:5e:40:00:03 198.51.100.120 * *\n"
            "duid 00:01:00:01\n")
    leases = dnsmasq.parse_leases(text, now=1000)
    assert [(lease["ip"], lease["hostname"]) for lease in leases] == [("198.51.100.186", ""), ("198.51.100.120", "")]


def test_test_config_swaps_the_ranges_file(tmp_path):
    confd = tmp_path / "dnsmasq.d"
    confd.mkdir()
    for name in ("lan.conf", "other.conf", "skip.txt", ".hidden.conf", "old.conf~"):
        (confd / name).write_text("")
    main = "port=0\nconf-dir=%s,*.conf\n" % confd
    text = dnsmasq.test_config(main, str(confd / "lan.conf"), "/tmp/candidate")
    assert text == "port=0\nconf-file=%s\nconf-file=/tmp/candidate\n" % (confd / "other.conf")
    direct = dnsmasq.test_config("conf-file=%s\n" % (confd / "lan.conf"), str(confd / "lan.conf"), "/c")
    assert direct == "conf-file=/c\n"


class FakeModule:
    """The module methods the backend uses; dnsmasq --test answers from ``test_rc``."""

    def __init__(self, test_rc=0):
        self.test_rc = test_rc
        self.commands = []

    def run_command(self, argv):
        self.commands.append(argv)
        with open(argv[-1].split("=", 1)[1]) as handle:
            self.tested = handle.read()
        return self.test_rc, "", "dnsmasq: bad dhcp-range at line 1" if self.test_rc else ""

    def backup_local(self, path):
        backup = path + ".1.backup~"
        with open(path) as src, open(backup, "w") as dst:
            dst.write(src.read())
        return backup

    def atomic_move(self, src, dest):
        os.rename(src, dest)


def _setup(tmp_path):
    confd = tmp_path / "dnsmasq.d"
    confd.mkdir()
    ranges = confd / "lan.conf"
    ranges.write_text("dhcp-range=set:lan,198.51.100.100,198.51.100.199,255.255.255.0,1h\n")
    main = tmp_path / "dnsmasq.conf"
    main.write_text("port=0\nconf-dir=%s,*.conf\n" % confd)
    return ranges, main


def test_apply_tests_the_candidate_then_replaces_with_a_backup(tmp_path):
    ranges, main = _setup(tmp_path)
    module = FakeModule()
    backend = dnsmasq.DnsmasqBackend(module, str(ranges), str(main))
    result = base.run(backend, ["198.51.100.180-198.51.100.209"])
    assert result["changed"] and result["restart_needed"]
    assert ranges.read_text() == "dhcp-range=set:lan,198.51.100.100,198.51.100.179,255.255.255.0,1h\n"
    assert "198.51.100.199" in open(result["backup_file"]).read()
    assert oct(os.stat(result["backup_file"]).st_mode & 0o777) == "0o600"
    assert module.commands[0][:2] == ["dnsmasq", "--test"]
    assert "conf-file=%s" % ranges not in module.tested  # the candidate was tested, not the old file
    assert sorted(p.name for p in ranges.parent.iterdir()) == ["lan.conf", "lan.conf.1.backup~"]
    again = base.run(backend, ["198.51.100.180-198.51.100.209"])
    assert not again["changed"] and len(module.commands) == 1


def test_a_rejected_candidate_changes_nothing(tmp_path):
    ranges, main = _setup(tmp_path)
    before = ranges.read_text()
    backend = dnsmasq.DnsmasqBackend(FakeModule(test_rc=1), str(ranges), str(main))
    with pytest.raises(base.ReservationError) as exc:
        base.run(backend, ["198.51.100.180-198.51.100.209"])
    assert "dnsmasq --test rejected" in str(exc.value) and "bad dhcp-range" in str(exc.value)
    assert ranges.read_text() == before
    assert [p.name for p in ranges.parent.iterdir()] == ["lan.conf"]


@pytest.mark.parametrize("option", ["ranges_file", "main_config", "leases_file", "backup_dir"])
@pytest.mark.parametrize("path,problem", [
    ("/etc/dnsmasq.d/lan.conf\nconf-file=/tmp/evil.conf", "contains a newline"),
    ("/etc/my dir/#lan.conf", "must not contain spaces, '#' or '\"'"),
    ('/etc/"lan".conf', "must not contain spaces, '#' or '\"'"),
])
def test_paths_dnsmasq_would_misread_are_refused(tmp_path, option, path, problem):
    paths = {"ranges_file": str(tmp_path / "lan.conf")}
    paths[option] = path
    with pytest.raises(base.ExposureError) as exc:
        dnsmasq.DnsmasqBackend(FakeModule(), **paths)
    assert str(exc.value).startswith(option + " = ") and problem in str(exc.value)


def test_a_conf_dir_file_dnsmasq_would_misread_is_refused(tmp_path):
    ranges, main = _setup(tmp_path)
    (ranges.parent / "other #1.conf").write_text("port=0\n")
    backend = dnsmasq.DnsmasqBackend(FakeModule(), str(ranges), str(main))
    with pytest.raises(base.ExposureError, match="other #1.conf"):
        base.run(backend, ["198.51.100.180-198.51.100.209"])
