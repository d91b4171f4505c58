# seqrec — common tasks. `make help` lists them.
SWIFT ?= swift
CONFIG ?= experiments/lstm50.yaml
GRID ?= experiments/cells.yaml

.PHONY: help build test run data sweep compare bench bench-e2e clean

help:
	@echo "make build      build the runner (release)"
	@echo "make test       run the test suite (the README's test command)"
	@echo "make run        train the main job: $(CONFIG)"
	@echo "make data       fetch and verify MovieLens-100K into the data cache"
	@echo "make sweep      run the grid GRID=$(GRID)"
	@echo "make compare    build comparison tables and the HTML report"
	@echo "make bench      micro-benchmark one training step vs PyTorch"
	@echo "make clean      remove build output"

build:
	$(SWIFT) build -c release --product runner

test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

run:
	$(SWIFT) run -c release runner $(CONFIG)

data:
	$(SWIFT) run -c release runner data movielens-100k

sweep:
	@echo "make sweep: not yet"

compare:
	$(SWIFT) run -c release runner compare results --output results
	scripts/check_html.sh results/report.html results/report.png

bench:
	@echo "make bench: not yet"

bench-e2e:
	@echo "make bench-e2e: not yet"

clean:
	rm -rf .build
