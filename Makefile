# Two commands matter: `make demo` and `make test`.  Every target installs what it needs
# on a fresh Debian 12 machine (as root) and skips what is already there.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:

VENV := .venv
BIN := $(VENV)/bin
SIM := tools/simcluster/simcluster
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR := false
APT_PACKAGES := debootstrap openssh-client openssh-server iproute2 iputils-ping pciutils \
	util-linux rsync git shellcheck python3-venv
COLLECTION_LINK := build/collections/ansible_collections/ascend_verl/cluster

NAME ?= dev
PROFILE ?= a2
NODES ?= 2
KEEP ?= 0
INTEGRATION_JOBS ?= 2

.PHONY: help deps apt venv collection rootfs knobs lint sanity unit package matrix browser simtest \
	molecule integration test demo bench sim-up sim-down clean

help:
	@echo "make demo   boot a fresh 2-node simulated Atlas 900 A2 cluster, run site.yml and a recipe dry run on it, tear it down (KEEP=1 keeps it); about 3 minutes"
	@echo "make test   lint, sanity, unit, package, matrix, browser, simulator, molecule and integration tests, in that order"
	@echo "make lint | sanity | unit | package | matrix | browser | simtest | molecule | integration   one stage of make test"
	@echo "make bench  benchmarks (see BENCHMARKS.md)"
	@echo "make knobs  regenerate roles/*/defaults/main.yml, inventories/shared/knobs.yml and README's knob table"
	@echo "make sim-up NAME=dev PROFILE=a2|a2-box16|a3 NODES=2 | make sim-down NAME=dev | make clean"

deps: apt venv collection

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "apt: installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(BIN)/.installed
$(BIN)/.installed: requirements-dev.txt
	@[ -x $(BIN)/python ] || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@

# Lets `ascend_verl.cluster.*` resolve from this checkout (ansible.cfg collections_path).  A copy
# that `ansible-galaxy collection install` put there would shadow the checkout: replaced by the link.
collection:
	@[ -L $(COLLECTION_LINK) ] || { rm -rf $(COLLECTION_LINK); mkdir -p $(dir $(COLLECTION_LINK)) && \
		ln -sfn ../../../.. $(COLLECTION_LINK); }

rootfs: deps
	@$(SIM) rootfs >/dev/null

# Every default lives in roles/*/meta/argument_specs.yml; the rest is generated from it.
knobs: venv
	$(BIN)/python tools/knobs.py

lint: deps
	$(BIN)/python tools/knobs.py --check
	PATH=$(CURDIR)/$(BIN):$$PATH ansible-lint --profile production

sanity: deps
	tests/sanity.sh

unit: deps
	tests/pytest.sh unit tests/unit

# The tarball (content, size), README's install path and the changelog: tests/release.
package: deps
	tests/pytest.sh package tests/release

# Every supported ansible-core line: tools/matrix.py, README's compatibility section.
matrix: deps
	$(BIN)/python tools/matrix.py

# The audit's HTML report in headless chromium (Debian's package, installed for this target only);
# the page and its screenshot stay in reports/.
browser: deps
	@dpkg-query -W -f='$${Status}\n' chromium 2>/dev/null | grep -q '^install ok installed' || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	tests/pytest.sh browser tests/browser

simtest: rootfs
	tests/pytest.sh simulator tools/simcluster/tests

molecule: rootfs
	tests/molecule.sh

# One worker per test file (each file boots its own cluster and runs its tests in order), the
# long files first (tests/integration/conftest.py orders them).
integration: rootfs
	tests/pytest.sh integration tests/integration -n $(INTEGRATION_JOBS) --dist loadfile --no-loadscope-reorder

test: lint sanity unit package matrix browser simtest molecule integration
	@echo "make test: all stages passed"

demo: rootfs
	KEEP=$(KEEP) tools/demo.sh

bench: rootfs
	$(BIN)/python tools/bench/run.py

sim-up: rootfs
	$(SIM) up $(NAME) --profile $(PROFILE) --nodes $(NODES)

sim-down:
	@if [ "$(NAME)" = all ]; then $(SIM) down --all; else $(SIM) down $(NAME); fi

clean:
	-$(SIM) down --all
	rm -rf build reports .pytest_cache
