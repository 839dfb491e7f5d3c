# Vestibule: `make run` runs the whole stack, `make test` runs every test (see README.md).
SWIFT ?= swift

.PHONY: run test bench build release clean

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
