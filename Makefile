# Barrage — two commands on a fresh machine: `make demo` and `make test`.
PREFIX ?= /usr/local
SWIFT ?= swift

.PHONY: all deps build release test demo install man clean

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

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

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

# Regenerates docs/barrage.1 from the commands' help (swift-argument-parser's generate-manual plugin).
man: deps
	$(SWIFT) package --allow-writing-to-package-directory generate-manual --configuration debug -o docs

clean:
	rm -rf .build barrage-demo
