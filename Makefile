# Barrage — two commands on a fresh machine: `make demo` and `make test`.
PREFIX ?= /usr/local
SWIFT ?= swift
# CURL=gnutls: the second build, for HTTP/3 (README, Protocols). libcurl 8.14.1's GnuTLS flavour (ngtcp2 + nghttp3)
# from bookworm-backports, unpacked into .build-tools/libcurl-gnutls/ by .ci/libcurl-gnutls.sh (never installed),
# linked through a private pkg-config file (NEEDED libcurl-gnutls.so.4) and found at run time through an RPATH that
# also covers its own ngtcp2/nghttp3 (DT_RPATH: a RUNPATH would serve only the binary's direct dependencies). Its own
# scratch path, .build-gnutls/; only the `barrage` product. The default build (CURL=openssl) is unchanged.
CURL ?= openssl
ifeq ($(CURL),gnutls)
GNUTLS_DIR := $(CURDIR)/.build-tools/libcurl-gnutls
GNUTLS_LIB := $(GNUTLS_DIR)/usr/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
BUILD_ENV := PKG_CONFIG_PATH=$(GNUTLS_DIR)/pkgconfig
BUILD_FLAGS := --scratch-path .build-gnutls --product barrage -Xlinker --disable-new-dtags \
	-Xlinker -rpath -Xlinker $(GNUTLS_LIB) -Xlinker -rpath-link -Xlinker $(GNUTLS_LIB)
else ifneq ($(CURL),openssl)
$(error CURL=$(CURL): expected openssl (the default build) or gnutls (the HTTP/3 build))
endif

.PHONY: all deps build release test demo install man fuzz clean bench bench-flows

all: build

# System libraries libcurl (OpenSSL flavour, with nghttp2) and zlib: installed through apt when missing.
deps:
	@if pkg-config --exists libcurl zlib 2>/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing libcurl4-openssl-dev zlib1g-dev pkg-config"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev zlib1g-dev pkg-config >/dev/null; \
	else \
		echo "libcurl development files are missing; run: sudo apt-get install -y libcurl4-openssl-dev zlib1g-dev pkg-config"; exit 1; \
	fi
ifeq ($(CURL),gnutls)
	@.ci/libcurl-gnutls.sh
	@test -e "$(GNUTLS_LIB)/libcurl-gnutls.so.4" || { echo "CURL=gnutls: libcurl 8 (GnuTLS) is not in $(GNUTLS_LIB); .ci/libcurl-gnutls.sh needs Debian's bookworm-backports"; exit 1; }
endif

build: deps
	$(BUILD_ENV) $(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(BUILD_ENV) $(SWIFT) build -c release $(BUILD_FLAGS)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@if command -v python3 >/dev/null; then python3 bench/test_report.py && python3 bench/test_flows_report.py; \
	else echo "python3 not found: skipping bench/test_report.py and bench/test_flows_report.py (the bench reports' parser tests)"; fi

# The main job: the embedded target server, 10 × 10 MB sequential vs concurrent, and a scale sweep (barrage-demo/).
demo: release
	"$$($(SWIFT) build -c release --show-bin-path)/barrage" demo --out barrage-demo

# The binary, the man page (docs/barrage.1) and shell completions for bash, zsh and fish.
install: release
	@BIN="$$($(SWIFT) build -c release --show-bin-path)/barrage"; \
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d && \
	install -m 0755 "$$BIN" $(DESTDIR)$(PREFIX)/bin/barrage && \
	install -m 0644 docs/barrage.1 $(DESTDIR)$(PREFIX)/share/man/man1/barrage.1 && \
	"$$BIN" --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/barrage && \
	"$$BIN" --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_barrage && \
	"$$BIN" --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/barrage.fish && \
	echo "installed barrage, its man page and completions under $(DESTDIR)$(PREFIX)"

# libFuzzer on the profile decoder, the duration/ramp grammar and the threshold parser, FUZZ_SECONDS each (default 30).
# Corpora in Tests/Fuzz/ (copied, so findings do not dirty the tree); crashes are written to .build-fuzz/crashes/.
FUZZ_SECONDS ?= 30
fuzz: deps
	@mkdir -p .build-fuzz/crashes
	@for t in Profile Duration Threshold; do \
		lower=$$(echo $$t | tr A-Z a-z); \
		$(SWIFT) build --package-path Fuzz --sanitize=fuzzer -Xswiftc -parse-as-library --product Fuzz$$t --scratch-path .build-fuzz || exit 1; \
		rm -rf .build-fuzz/corpus-$$lower && cp -r Tests/Fuzz/$$lower .build-fuzz/corpus-$$lower; \
		echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
		SWIFT_BACKTRACE=enable=no .build-fuzz/debug/Fuzz$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-artifact_prefix=.build-fuzz/crashes/$$lower- .build-fuzz/corpus-$$lower || exit 1; \
	done

# Regenerates docs/barrage.1 from the commands' help (swift-argument-parser's generate-manual plugin).
man: deps
	$(SWIFT) package --allow-writing-to-package-directory generate-manual --configuration debug -o docs

clean:
	rm -rf .build .build-gnutls barrage-demo

# Barrage against the bare-libcurl C ceiling, wrk, h2load, ab, hey and k6 on loopback (bench/README.md).
# `make bench BENCH_LIBCURL=8` (or =DIR): Barrage and the C ceiling on the system's libcurl and on 8.14.1 (or DIR), pairwise.
bench:
	bash bench/run.sh

# The three-step flow (login, capture, templated header) under callgrind and against k6 and Locust (bench/README.md, "Flows").
bench-flows:
	bash bench/flows.sh
