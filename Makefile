# Vestibule: `make run` runs the whole stack, `make test` runs every test (see README.md).
SWIFT ?= swift

.PHONY: run test fuzz soak bench build release clean

## Run nginx + the program + SQLite on http://127.0.0.1:8080 ($VESTIBULE_HTTP_PORT), sandbox on.
run:
	@scripts/install-deps run
	$(SWIFT) build -c release --product vestibule
	.build/release/vestibule migrate
	.build/release/vestibule dev

## Every test: unit tests, the stack behind nginx, the browser tests.
test:
	@scripts/install-deps test
	$(SWIFT) build --build-tests
	VESTIBULE_BINARY="$$($(SWIFT) build --show-bin-path)/vestibule" $(SWIFT) test --skip-build
	SOAK_BUILD=debug SOAK_KILLS=5 scripts/soak
	FUZZ_SECONDS=5 scripts/fuzz

## Each fuzz target for FUZZ_SECONDS (60) under libFuzzer and ASan (docs/reliability.md).
fuzz:
	@scripts/install-deps run
	scripts/fuzz

## SOAK_KILLS (100) kill -9s under a write load through nginx, then every acknowledged write read back.
soak:
	@scripts/install-deps test
	scripts/soak

## The benchmark through nginx, side by side with its baselines; writes docs/benchmarks.md.
bench:
	@scripts/install-deps bench
	scripts/bench

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release --product vestibule

clean:
	rm -rf .build var
