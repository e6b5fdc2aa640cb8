# Developer tasks for the baremetal.exposure collection. `make help` lists them.
# Everything runs offline except `make venv` (PyPI) and the first `make sanity` (PyPI, for
# ansible-test's own sanity venvs, cached in ~/.ansible/test/venv afterwards).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables
.DELETE_ON_ERROR:

# --- Interpreters and venvs --------------------------------------------------------------
PYENV_VERSIONS ?= $(HOME)/.pyenv/versions
# Main venv: newest ansible-core (2.21), ansible-lint, molecule, the lab.
PYTHON_MAIN    ?= $(PYENV_VERSIONS)/3.13.0/bin/python
VENV           ?= .venv
REQUIREMENTS   ?= requirements-dev.txt
# Second venv: the oldest ansible-core the collection supports (2.19, see meta/runtime.yml).
PYTHON_CORE219 ?= $(PYENV_VERSIONS)/3.11.7/bin/python
VENV_CORE219   ?= .venv-core219
REQUIREMENTS_CORE219 ?= requirements-core219.txt
# Both cores, as "venv:python-version" pairs; sanity, unit and build run once per pair.
CORES          ?= $(VENV):3.13 $(VENV_CORE219):3.11

# --- Work areas ------------------------------------------------------------------------------
# ansible-test and the unit tests need the collection at .../ansible_collections/baremetal/exposure
# next to its dependencies. Those copies live outside the git work tree (ansible-test would
# otherwise list files through git) under a directory keyed on this checkout's path.
TREES   ?= /tmp/baremetal.exposure-$(shell id -u)-$(shell printf %s "$(CURDIR)" | sha256sum | cut -c1-8)
BUILD   ?= build
PYTEST_ARGS ?=
SANITY_ARGS ?=

# Stamps: a venv is (re)installed when its requirements (or the lab's pyproject) change.
hash_of = $(shell cat $(1) 2>/dev/null | sha256sum | cut -c1-16)
STAMP_MAIN    := $(VENV)/.installed-$(call hash_of,$(REQUIREMENTS) lab/pyproject.toml runtime/pyproject.toml)
STAMP_CORE219 := $(VENV_CORE219)/.installed-$(call hash_of,$(REQUIREMENTS_CORE219))

PIP_INSTALL := pip install --quiet --disable-pip-version-check

# Molecule and ansible-test call ansible-* tools by name: the main venv's bin goes first.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export ANSIBLE_NOCOLOR ?= 1

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([^:]+):.*## /  \1\t/' | expand -t 16

# --- Environment --------------------------------------------------------------------------

.PHONY: deps
deps: ## Install the Debian packages the lab and the checks need (no-op when present)
	.ci/install-system-packages

.PHONY: venv
venv: $(STAMP_MAIN) $(STAMP_CORE219) netbox-venv ## Create/update .venv (core 2.21 + lab) and .venv-core219 (core 2.19)

$(STAMP_MAIN): $(REQUIREMENTS)
	@echo "== $(VENV): $(PYTHON_MAIN), $(REQUIREMENTS)"
	test -x $(VENV)/bin/python || $(PYTHON_MAIN) -m venv $(VENV)
	$(VENV)/bin/$(PIP_INSTALL) -r $(REQUIREMENTS)
	if [ -f lab/pyproject.toml ]; then $(VENV)/bin/$(PIP_INSTALL) -e ./lab; fi
	$(VENV)/bin/$(PIP_INSTALL) -e './runtime[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

$(STAMP_CORE219): $(REQUIREMENTS_CORE219)
	@echo "== $(VENV_CORE219): $(PYTHON_CORE219), $(REQUIREMENTS_CORE219)"
	test -x $(VENV_CORE219)/bin/python || $(PYTHON_CORE219) -m venv $(VENV_CORE219)
	$(VENV_CORE219)/bin/$(PIP_INSTALL) -r $(REQUIREMENTS_CORE219)
	rm -f $(VENV_CORE219)/.installed-*
	touch $@

# NetBox gets its own venv (it needs Python >= 3.12 and pins Django); lab/netbox/install.sh
# owns it and is expected to be idempotent. Skipped while that script does not exist.
.PHONY: netbox-venv
netbox-venv:
	if [ -f lab/netbox/install.sh ]; then bash lab/netbox/install.sh; \
	else echo "== lab/netbox/install.sh not there yet: NetBox venv skipped"; fi

# --- Checks -------------------------------------------------------------------------------------

# Ansible finds this checkout as the collection baremetal.exposure through this link
# (lab/ansible.cfg points collections_path at .collections).
COLLECTION_LINK := .collections/ansible_collections/baremetal/exposure
$(COLLECTION_LINK):
	mkdir -p $(@D)
	ln -sfn $(CURDIR) $@


# ruff checks every Python file of the repository (ruff.toml); mypy --strict the lab package
# (its settings in lab/pyproject.toml; the runtime package has its own in `make runtime`).
.PHONY: lint
lint: $(STAMP_MAIN) $(COLLECTION_LINK) check-vendored ## ruff, mypy on the lab, ansible-lint (production profile, role argument specs, yamllint), vendored files; settings in ruff.toml, .ansible-lint
	$(VENV)/bin/ruff check --no-cache .
	cd lab && ../$(VENV)/bin/mypy
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.collections $(VENV)/bin/ansible-lint
	$(VENV)/bin/antsibull-changelog lint

# The Gateway API CRDs the ingress role installs are vendored from the Go module that publishes
# them (the Go module proxy, cached under ~/.cache/baremetal-exposure/go like the lab's builds).
.PHONY: vendor-gateway-api check-vendored
vendor-gateway-api: ## Vendor the Gateway API standard-channel CRDs into roles/ingress/files/gateway-api
	.ci/vendor-gateway-api
check-vendored: ## Fail when roles/ingress/files/gateway-api differs from the Go module sigs.k8s.io/gateway-api
	.ci/vendor-gateway-api --check

# get-pip stand-in so that ansible-test can bootstrap pip in its venvs offline (see the file).
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
GET_PIP_SHIMS := $(ANSIBLE_TEST_CACHE)/get_pip_24_2.py $(ANSIBLE_TEST_CACHE)/get_pip_25_2.py
$(ANSIBLE_TEST_CACHE)/get_pip_%.py: .ci/get_pip_offline.py
	mkdir -p $(@D)
	if [ -f $@ ] && ! grep -q exposure-get-pip-shim $@; then \
	  echo "== $@ is a real get-pip.py: kept"; touch $@; else cp $< $@; fi

# Every pyenv Python 3.8+ under its versioned name, so that ansible-test runs the
# multi-version tests (compile, import) on every target Python the core supports.
.PHONY: pybin
pybin:
	mkdir -p $(TREES)/pybin
	for py in $(PYENV_VERSIONS)/3.*/bin/python3.*; do \
	  case $$py in *-config|*m) continue;; esac; \
	  name=$${py##*/}; minor=$${name#python3.}; \
	  if [[ $$minor =~ ^[0-9]+$$ ]] && (( minor >= 8 )); then ln -sfn $$py $(TREES)/pybin/$$name; fi; \
	done

.PHONY: sanity
sanity: $(STAMP_MAIN) $(STAMP_CORE219) $(GET_PIP_SHIMS) pybin ## ansible-test sanity --venv on core 2.21 and 2.19, every available target Python
	@for core in $(CORES); do \
	  venv=$$(cd $${core%%:*} && pwd); py=$${core##*:}; root=$(TREES)/sanity-$$py; \
	  echo "== sanity: $$($$venv/bin/ansible --version | sed -n 1p), controller Python $$py"; \
	  dest=$$(.ci/collection-tree $$root $$venv); \
	  ( cd $$dest && PATH=$(TREES)/pybin:$$venv/bin:$$PATH \
	    ansible-test sanity --venv --color no --truncate 0 $(SANITY_ARGS) ) \
	  2>&1 | grep -Ev '^ *(Collecting|Downloading|Installing|Successfully|Requirement|Using cached|Looking in|Processing|Attempting|Found existing|Uninstalling)|━━' ; \
	done

.PHONY: unit
unit: $(STAMP_MAIN) $(STAMP_CORE219) ## Unit tests (pytest) on core 2.21 and 2.19
	@for core in $(CORES); do \
	  venv=$$(cd $${core%%:*} && pwd); py=$${core##*:}; root=$(TREES)/unit-$$py; \
	  echo "== unit: $$($$venv/bin/ansible --version | sed -n 1p), Python $$py"; \
	  dest=$$(.ci/collection-tree $$root $$venv); \
	  ( cd $$dest && PYTHONPATH=$$root $$venv/bin/python -m pytest -p no:cacheprovider \
	    -q $(PYTEST_ARGS) tests/unit ); \
	done

# The runtime package (controller, speaker): strict typing, its import layers, its unit tests.
.PHONY: runtime
runtime: $(STAMP_MAIN) ## The baremetal-lb package: mypy --strict, import-linter layers, unit tests
	cd runtime && ../$(VENV)/bin/mypy
	cd runtime && ../$(VENV)/bin/lint-imports --no-cache
	cd runtime && ../$(VENV)/bin/python -m pytest -p no:cacheprovider -q $(PYTEST_ARGS) tests/unit

# Golden files are rewritten only here, never by a test run: review `git diff` afterwards.
.PHONY: golden
golden: $(STAMP_MAIN) deploy-manifests ## Rewrite every golden file: the runtime's (FRR renderings, printed ConfigMap imports), and deploy-manifests
	cd runtime && ../$(VENV)/bin/python tests/golden.py

# The roles' templates rendered as a play renders them (through the collection link, so that
# the collection is found as baremetal.exposure): the golden files of tests/unit/roles/golden/,
# and runtime/deploy/baremetal-lb.yaml and speaker-bgp.yaml (the load_balancer role's layer-2
# and BGP renderings without the collection's labels). The template is their only source.
.PHONY: deploy-manifests
deploy-manifests: $(STAMP_MAIN) $(COLLECTION_LINK) ## Rewrite runtime/deploy/*.yaml and the roles' golden manifests from the templates
	$(VENV)/bin/python $(COLLECTION_LINK)/tests/unit/roles/golden.py

# The lab's own unit tests (node files, image keys, archives, cache): they start no daemon.
.PHONY: lab-unit
lab-unit: $(STAMP_MAIN) ## The lab's unit tests (runs no daemon)
	cd lab && ../$(VENV)/bin/python -m pytest -p no:cacheprovider -q $(PYTEST_ARGS) tests/unit

# The tarball is built once (core 2.21), then installed offline and exercised on both cores:
# ansible-doc for the module and the filter, a module call (good and bad input), a filter call.
COLLECTION_TARBALL = $(BUILD)/baremetal-exposure-$(shell sed -nE 's/^version: *//p' galaxy.yml).tar.gz

.PHONY: build
build: $(STAMP_MAIN) $(STAMP_CORE219) ## Build the tarball into build/ and prove it installs and its plugins load on both cores
	mkdir -p $(BUILD)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD) .
	@for core in $(CORES); do \
	  .ci/check-build $${core%%:*} $(COLLECTION_TARBALL) $(TREES)/installed-$${core##*:}; \
	done

# The AWX execution environment: ansible-builder writes the build context offline (no image is
# built: there is no container engine here) and the context is checked (.ci/check-ee).
.PHONY: ee
ee: build ## Check execution-environment.yml: ansible-builder create and introspect of the built tarball
	.ci/check-ee $(VENV) $(COLLECTION_TARBALL) $(TREES)/ee

.PHONY: integration
# `make test` runs every integration test but those marked `long` (CI's 90 minutes cannot hold
# them all; docs/development.md lists them); `make integration-long` runs those, on a fresh lab.
integration: $(STAMP_MAIN) $(COLLECTION_LINK) ## Integration tests against the lab (tests/integration), but the long tier
	$(VENV)/bin/pytest tests/integration -v -m "not long" --durations=40

.PHONY: integration-long
integration-long: $(STAMP_MAIN) $(COLLECTION_LINK) ## The long integration tier (MetalLB migration, site stages, diagnosis, secrets audit)
	$(VENV)/bin/pytest tests/integration -v -m long --durations=40

# Molecule's scenarios (extensions/molecule: layer2, bgp, multi_site), each on a fresh lab:
# create brings it up, converge runs playbooks/site.yml, idempotence reruns it (changed=0),
# verify runs the verify stage, destroy takes the lab down. Molecule calls ansible-playbook by
# name: a wrapper first on PATH hands each run the lab's secrets (.ci/molecule-ansible-playbook).
MOLECULE_BIN := $(TREES)/molecule-bin
MOLECULE_ARGS ?= --all
.PHONY: molecule
molecule: $(STAMP_MAIN) $(COLLECTION_LINK) ## Molecule scenarios layer2, bgp, multi_site against the lab (extensions/molecule)
	mkdir -p $(MOLECULE_BIN)
	ln -sfn $(CURDIR)/.ci/molecule-ansible-playbook $(MOLECULE_BIN)/ansible-playbook
	EXPOSURE_ANSIBLE_PLAYBOOK=$(abspath $(VENV))/bin/ansible-playbook PATH=$(MOLECULE_BIN):$(PATH) \
	  $(VENV)/bin/molecule test $(MOLECULE_ARGS)

.PHONY: test
test: ## Everything CI runs, from a fresh machine: deps venv lint sanity unit lab-unit runtime build ee integration (timed)
	@.ci/timed deps venv lint sanity unit lab-unit runtime build ee integration

# --- Lab -------------------------------------------------------------------------------------

.PHONY: lab-up lab-down lab-status
lab-up: $(STAMP_MAIN) $(COLLECTION_LINK) ## Start the lab (network namespaces, FRR, DHCP, ...)
	$(VENV)/bin/python -m exposure_lab up
lab-down: $(STAMP_MAIN) ## Stop the lab
	$(VENV)/bin/python -m exposure_lab down
lab-status: $(STAMP_MAIN) ## Show the lab's state
	$(VENV)/bin/python -m exposure_lab status

# The main job on the built-in lab (lab/exposure_lab/demo.py): the demo application, the whole
# site playbook against the lab inventory with the lab's secrets handed over as environment
# variables (as an AWX credential would), the address-plan report, the ingress VIP and the node
# announcing it, a curl from the client namespace through the VIP, and a second run that must
# report changed=0.
.PHONY: demo
demo: deps venv lab-up ## Install everything, bring up the lab, run playbooks/site.yml, curl through the VIP, run again
	$(VENV)/bin/exposure-lab demo

# --- Housekeeping ---------------------------------------------------------------------------------

.PHONY: clean
clean: ## Remove build output, test output and the ansible-test/pytest work trees (keeps the venvs)
	rm -rf $(BUILD) tests/output $(TREES) .pytest_cache .ansible
	find . -path './.venv*' -prune -o -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

.PHONY: distclean
distclean: clean ## clean, and remove both venvs
	rm -rf $(VENV) $(VENV_CORE219)
