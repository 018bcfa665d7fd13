# loadgen — build, test, demo and benchmarks. Every target that needs packages installs them first.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/release/loadgen
# Debian packages: the C libraries, the servers the tests start, the peers the benchmarks run, and tools.
DEB_PACKAGES := libuv1-dev libc-ares-dev libnghttp2-dev pkg-config \
	knot knot-dnsutils unbound dnsmasq-base nginx-light nghttp2-server nghttp2-client \
	dnsperf wrk iproute2 procps tshark bpftrace python3 time
# The HTTP fault tests: the h2c fault server's `h2` (for Debian's /usr/bin/python3) and iptables' tcp-reset rules.
DEB_PACKAGES += python3-h2 iptables

.PHONY: setup build debug test unit-test integration-test demo bench clean

setup: .setup-done

.setup-done: Makefile
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
		apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@touch $@

build: setup
	$(SWIFT) build -c release --product loadgen

debug: setup
	$(SWIFT) build

test: build
	LOADGEN_BIN=$(CURDIR)/$(BIN) $(SWIFT) test

demo: build
	bash scripts/demo.sh $(BIN)

bench: build
	python3 Benchmarks/run.py --loadgen $(BIN)

clean:
	rm -rf .build .setup-done
