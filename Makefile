# mta — model transfer adaptability.  `make help` lists the targets.
include config.mk

SRC      := $(filter-out src/main.c,$(wildcard src/*.c))
OBJ      := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
TESTS    := $(patsubst tests/t_%.c,$(BUILD)/t/%.t,$(wildcard tests/t_*.c))
DEB_PKGS := libopenblas-dev liblapacke-dev zlib1g-dev gnuplot-nox pandoc dataset-fashion-mnist python3-torch

.PHONY: all help deps test clean fixtures
.DELETE_ON_ERROR:

all: $(BUILD)/mta ## build the mta command-line tool

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

deps: ## install the missing Debian packages (needs root)
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; \
	elif [ "$$(id -u)" = 0 ]; then echo "deps: installing$$missing"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: missing Debian packages:$$missing"; echo "deps: run as root: apt-get install$$missing"; exit 1; fi

# V=1 shows the full compiler command lines
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: src/%.c config.mk | $(BUILD)/obj
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/mta: src/main.c $(OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/t/%.t: tests/t_%.c tests/tap.h $(OBJ) | $(BUILD)/t
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -Itests $(LDFLAGS) $< $(OBJ) -o $@ $(LDLIBS)

test: deps $(BUILD)/mta $(TESTS) ## build and run every test under prove
	MTA=$(CURDIR)/$(BUILD)/mta prove --exec '' $(TESTS)

fixtures: ## regenerate the PyTorch reference fixtures in tests/fixtures
	$(PYTHON) tools/gen_fixtures.py tests/fixtures

$(BUILD)/obj $(BUILD)/t:
	mkdir -p $@

clean: ## remove build outputs
	rm -rf build build-san

include experiments/experiments.mk

.PHONY: bench
bench: $(BUILD)/mta build/default/ckpt/ResNet_18.safetensors ## speed of mta against PyTorch (training, inference, PTQ sweep)
	tools/bench.sh $(BUILD)/mta build/default/ckpt/ResNet_18.safetensors

.PHONY: reproduce
reproduce: deps ## the whole study for PROFILE (default): train, stats, ptq, fits, figures, reports
	$(MAKE) $(BUILD)/mta
	$(MAKE) results stats

-include $(OBJ:.o=.d) $(TESTS:.t=.d)
