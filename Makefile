# loadgen — build, test, demo and benchmarks. Every target that needs packages installs them first.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/release/loadgen
# Debian packages: the C libraries, the servers the tests start, the peers the benchmarks run, and tools.
DEB_PACKAGES := libuv1-dev libc-ares-dev libnghttp2-dev libssl-dev zlib1g-dev openssl pkg-config \
	knot knot-dnsutils unbound dnsmasq-base nginx-light nghttp2-server nghttp2-client \
	dnsperf wrk iproute2 iptables procps tshark bpftrace python3 time
# The HTTP fault tests: the h2c fault server's `h2` (for Debian's /usr/bin/python3).
DEB_PACKAGES += python3-h2
# The test venv (.venv): independent readers of what loadgen writes, from PyPI.
DEB_PACKAGES += python3-venv python3-pip
# The image (make image) and the container tests: podman with runc (DESIGN.md §6); make deb: dpkg-deb.
DEB_PACKAGES += podman buildah runc dpkg-dev groff-base
PYTHON_PACKAGES := hdrhistogram==0.10.8 kubernetes-validate==1.30.0
VENV := .venv

.PHONY: setup build debug test unit-test integration-test demo bench clean dist image deb

setup: .setup-done

.setup-done: Makefile
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
		apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@if ! $(VENV)/bin/python3 -c 'import hdrh, kubernetes_validate' 2>/dev/null; then \
		echo "creating $(VENV) with $(PYTHON_PACKAGES)"; \
		/usr/bin/python3 -m venv $(VENV) && $(VENV)/bin/pip install -q $(PYTHON_PACKAGES); \
	fi
	@touch $@

build: setup
	$(SWIFT) build -c release --product loadgen

debug: setup
	$(SWIFT) build

# The container tests run on their own after the rest: starting containers takes the CPU that the timing-sensitive
# integration suites (running in parallel with each other) need.
TEST_ENV = LOADGEN_BIN=$(CURDIR)/$(BIN) LOADGEN_IMAGE=localhost/loadgen:$$($(BIN) --version) LOADGEN_DEB=$$(cat $(DEB_STAMP))
test: build image deb fuzz-seeds
	$(TEST_ENV) $(SWIFT) test --skip ContainerImageTests
	$(TEST_ENV) $(SWIFT) test --skip-build --filter ContainerImageTests

# What users install: the release build with Swift's runtime linked in, so only Debian's libraries remain
# (libuv, c-ares, nghttp2, OpenSSL, zlib, libc, libstdc++). Same optimisation as BIN; its own build directory.
DIST_BIN := .build/static/release/loadgen
dist: setup
	$(SWIFT) build -c release --product loadgen --static-swift-stdlib --scratch-path .build/static

# The OCI image from DIST_BIN (scripts/build-image.sh): localhost/loadgen:VERSION and :latest, and an OCI archive
# under .build/image. Rebuilt only when the binary changed or the image is gone.
IMAGE_STAMP := .build/image/stamp
image: dist
	@sum=$$(sha256sum $(DIST_BIN) | cut -c1-64); version=$$($(DIST_BIN) --version); \
	if [ -f $(IMAGE_STAMP) ] && [ "$$(cat $(IMAGE_STAMP))" = "$$sum $$version" ] \
		&& podman image exists localhost/loadgen:$$version; then \
		echo "image localhost/loadgen:$$version is up to date"; \
	else \
		bash scripts/build-image.sh $(DIST_BIN) .build/image && echo "$$sum $$version" > $(IMAGE_STAMP); \
	fi

# The Debian package from DIST_BIN (scripts/build-deb.sh): .build/deb/loadgen_VERSION_ARCH.deb, its path in DEB_STAMP.
DEB_STAMP := .build/deb/path
# Rebuilt only when the binary or the packaging scripts changed.
deb: dist
	@mkdir -p .build/deb; sum=$$(cat $(DIST_BIN) scripts/build-deb.sh scripts/manpage.py | sha256sum | cut -c1-64); \
	if [ -f $(DEB_STAMP).sum ] && [ "$$(cat $(DEB_STAMP).sum)" = "$$sum" ] && [ -f "$$(cat $(DEB_STAMP))" ]; then \
		echo "$$(cat $(DEB_STAMP)) is up to date"; \
	else \
		bash scripts/build-deb.sh $(DIST_BIN) .build/deb > $(DEB_STAMP).new && tail -n 1 $(DEB_STAMP).new > $(DEB_STAMP) \
			&& rm $(DEB_STAMP).new && echo "$$sum" > $(DEB_STAMP).sum && echo "built $$(cat $(DEB_STAMP))"; \
	fi

demo: build
	bash scripts/demo.sh $(BIN)

bench: build
	python3 Benchmarks/run.py --loadgen $(BIN)

# libFuzzer harnesses of the parsers (Fuzz/fuzz.sh): each runs FUZZ_SECONDS from the seed corpus in Fuzz/corpus.
FUZZ_SECONDS ?= 60
.PHONY: fuzz fuzz-seeds sanitize sanitize-address sanitize-thread
fuzz: setup
	$(SWIFT) package resolve  # the report harnesses compile hdrhistogram-swift's source from .build/checkouts
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash Fuzz/fuzz.sh run

# Part of test: every harness builds (unoptimised, in .build-fuzz-seeds) and passes its seed corpus (FUZZ_RUNS=0). The harnesses compile
# a hand-kept list of sources, which once fell behind the code for a day while nothing in test built them.
fuzz-seeds: setup
	$(SWIFT) package resolve
	FUZZ_OUT=.build-fuzz-seeds FUZZ_OPT=-Onone FUZZ_RUNS=0 bash Fuzz/fuzz.sh run

# The unit and integration suites under AddressSanitizer, then ThreadSanitizer (Fuzz/sanitize.sh); not part of test.
sanitize: sanitize-address sanitize-thread

sanitize-address: setup
	bash Fuzz/sanitize.sh address

sanitize-thread: setup
	bash Fuzz/sanitize.sh thread

clean:
	rm -rf .build .setup-done $(VENV)
