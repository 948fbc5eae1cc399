# Barrage — two commands on a fresh machine: `make demo` and `make test`.
PREFIX ?= /usr/local
SWIFT ?= swift

.PHONY: all deps build release test demo install clean

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

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 "$$($(SWIFT) build -c release --show-bin-path)/barrage" $(DESTDIR)$(PREFIX)/bin/barrage

clean:
	rm -rf .build barrage-demo
