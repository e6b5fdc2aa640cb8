# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX definitions (extensions/awx) and the execution environment agree with the code:
credential types inject exactly the environment variables something in the collection reads,
job templates name playbooks, credential types and variables that exist."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
AWX = os.path.join(ROOT, "extensions", "awx")
# What the roles, modules and example inventories read from the environment (docs/awx.md).
READ_FROM_ENVIRONMENT = set([
    "K8S_AUTH_KUBECONFIG", "NETBOX_API", "NETBOX_TOKEN", "KEA_API_URL", "KEA_API_USER",
    "KEA_API_PASSWORD", "EXPOSURE_ROUTER_USER", "EXPOSURE_ROUTER_SSH_KEY_FILE",
    "EXPOSURE_BGP_PASSWORD",
])
TEMPLATE = re.compile(r"\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}")


def _load_all(pattern):
    found = []
    for path in sorted(glob.glob(os.path.join(AWX, pattern))):
        with open(path) as handle:
            found.append((os.path.basename(path), yaml.safe_load(handle)))
    return found


CREDENTIAL_TYPES = _load_all("credential_types/*.yml")
JOB_TEMPLATES = _load_all("job_templates/*.yml")


def _sources():
    """The text of every file that may read an environment variable."""
    texts = []
    for pattern in ("roles/*/*/*.yml", "plugins/*/*.py", "plugins/module_utils/*/*.py",
                    "inventories/*/*/*.yml"):
        for path in glob.glob(os.path.join(ROOT, pattern)):
            with open(path) as handle:
                texts.append(handle.read())
    return "\n".join(texts)


@pytest.mark.parametrize("name,ctype", CREDENTIAL_TYPES, ids=[c[0] for c in CREDENTIAL_TYPES])
def test_credential_type_is_well_formed(name, ctype):
    assert ctype["kind"] == "cloud" and ctype["name"].startswith("baremetal.exposure ")
    fields = [f["id"] for f in ctype["inputs"]["fields"]]
    assert len(fields) == len(set(fields))
    assert set(ctype["inputs"].get("required", [])) <= set(fields)
    files = set(key.split(".", 1)[1] for key in ctype["injectors"].get("file", {}))
    for section in ("env", "file", "extra_vars"):
        for value in ctype["injectors"].get(section, {}).values():
            for ref in TEMPLATE.findall(value):
                if ref.startswith("tower.filename."):
                    assert ref.split(".", 2)[2] in files, (name, ref)
                else:
                    assert ref in fields, (name, ref)
    secrets = [f["id"] for f in ctype["inputs"]["fields"] if f.get("secret")]
    assert not set(secrets) & set(ctype["injectors"].get("extra_vars", {})), "secrets only by env or file"


def test_injected_variables_are_exactly_those_read():
    injected = set()
    for _file_name, ctype in CREDENTIAL_TYPES:
        injected |= set(ctype["injectors"].get("env", {}))
    assert injected == READ_FROM_ENVIRONMENT
    sources = _sources()
    for variable in sorted(injected):
        assert ("'%s'" % variable in sources or '"%s"' % variable in sources
                or variable.startswith("K8S_AUTH_")), "nothing reads %s" % variable


@pytest.mark.parametrize("name,template", JOB_TEMPLATES, ids=[t[0] for t in JOB_TEMPLATES])
def test_job_template_names_what_exists(name, template):
    assert os.path.exists(os.path.join(ROOT, template["playbook"]))
    types = set(ctype["name"] for file_name, ctype in CREDENTIAL_TYPES) | set(["Machine"])
    assert set(template["credential_types"]) <= types
    known = _sources() + open(os.path.join(ROOT, template["playbook"])).read()
    for question in template["survey_spec"]["spec"]:
        assert question["variable"] in known, (name, question["variable"])
        if question["type"] == "multiplechoice":
            assert str(question["default"]) in question["choices"]


def test_execution_environment_files_exist():
    with open(os.path.join(ROOT, "execution-environment.yml")) as handle:
        ee = yaml.safe_load(handle)
    assert ee["version"] == 3 and ee["images"]["base_image"]["name"]
    for key in ("galaxy", "python", "system"):
        assert os.path.exists(os.path.join(ROOT, ee["dependencies"][key])), key
    with open(os.path.join(ROOT, "meta", "execution-environment.yml")) as handle:
        meta = yaml.safe_load(handle)
    for key in ("python", "system"):
        assert os.path.exists(os.path.join(ROOT, meta["dependencies"][key])), key
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        depends = yaml.safe_load(handle)["dependencies"]
    with open(os.path.join(ROOT, ee["dependencies"]["galaxy"])) as handle:
        collections = set(c["name"] for c in yaml.safe_load(handle)["collections"])
    assert set(depends) <= collections
