# mta — model transfer adaptability.  `make help` lists the targets.
include config.mk

SRC      := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
OBJ      := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
TESTS    := $(patsubst tests/t_%.c,$(BUILD)/t/%.t,$(wildcard tests/t_*.c))
# Debian packages: building and testing need the first three groups (fortunes: the language
# model's default corpus, /usr/share/games/fortunes); python3-torch serves only
# to regenerate fixtures (make fixtures) and as the benchmark peer (make bench).
DEB_BUILD  := libopenblas-dev liblapacke-dev zlib1g-dev libdnnl-dev
DEB_DATA   := dataset-fashion-mnist fortunes
DEB_REPORT := gnuplot-nox pandoc
DEB_PEER   := python3-torch
# the browser check of the reports (tests/t_browser.sh, part of make test)
DEB_BROWSER := chromium
DEB_PKGS   := $(DEB_BUILD) $(DEB_DATA) $(DEB_REPORT)

.PHONY: all help deps deps-peer deps-browser deps-slurm install-pkgs test test-unit test-pipeline test-slurm clean fixtures
.DELETE_ON_ERROR:

all: $(BUILD)/mta ## build the mta command-line tool

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

deps: ## install the missing Debian packages for building, testing and the pipeline (needs root)
	@$(MAKE) --no-print-directory install-pkgs PKGS="$(DEB_PKGS)"

deps-peer: ## also install python3-torch (fixtures, benchmark peer)
	@$(MAKE) --no-print-directory install-pkgs PKGS="$(DEB_PKGS) $(DEB_PEER)"

deps-browser: ## also install chromium (the browser check of the reports in make test)
	@$(MAKE) --no-print-directory install-pkgs PKGS="$(DEB_PKGS) $(DEB_BROWSER)"

deps-slurm: ## also install Slurm and munge (make test-slurm starts a one-node Slurm of its own)
	@$(MAKE) --no-print-directory install-pkgs PKGS="$(DEB_PKGS) slurm-wlm munge"

install-pkgs:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; \
	elif [ "$$(id -u)" = 0 ]; then echo "deps: installing$$missing"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: missing Debian packages:$$missing"; echo "deps: run as root: apt-get install$$missing"; exit 1; fi

# V=1 shows the full compiler command lines
Q := $(if $(V),,@)

# Before the first compile: say which Debian package is missing instead of a compiler error.
HEADERS_OF_PKGS := cblas.h:libopenblas-dev lapacke.h:liblapacke-dev zlib.h:zlib1g-dev
$(BUILD)/.headers-ok: config.mk
	@missing=""; for hp in $(HEADERS_OF_PKGS); do h=$${hp%%:*}; p=$${hp##*:}; \
	  echo "#include <$$h>" | $(CC) $(STD) -E -x c - -o /dev/null 2>/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "error: missing Debian packages:$$missing (run 'make deps' as root, or apt-get install$$missing)" >&2; exit 2; fi
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/%.o: src/%.c config.mk | $(BUILD)/.headers-ok
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The binary records the source it was linked from (base/env.h: mta_version), generated at
# link time only, so a commit does not relink (and rerun the pipeline) by itself.
$(BUILD)/mta: src/cli/main.c $(OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)printf 'const char mta_build_version[] = "%s";\n' "$$(git describe --always --dirty 2>/dev/null || echo unknown)" > $(BUILD)/version.c
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(BUILD)/version.c -o $@ $(LDLIBS)

$(BUILD)/t/%.t: tests/t_%.c tests/tap.h $(OBJ) | $(BUILD)/t
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -Itests $(LDFLAGS) $< $(OBJ) -o $@ $(LDLIBS)

# The C unit tests and the source checks: no apt-get, no pipeline (the fast loop).
UNIT_TESTS = $(TESTS) tests/t_layers.sh tests/t_tsvdiff.sh tests/t_report.sh tests/t_cluster.sh
# They are independent (each in its own temporary directory): PROVE_JOBS of them run at a time.
PROVE_JOBS ?= 2
test-unit: $(BUILD)/mta $(TESTS) ## build and run the unit tests only (no package install, no pipeline)
	MTA=$(CURDIR)/$(BUILD)/mta prove -j$(PROVE_JOBS) --exec '' $(UNIT_TESTS)

# tests/t_pipeline.sh runs `make reproduce PROFILE=quick` end to end (minutes when stale), then
# tests/t_browser.sh renders its report and the committed default one in headless Chromium
test: deps-browser $(BUILD)/mta $(TESTS) ## install missing packages, build and run every test under prove
	MTA=$(CURDIR)/$(BUILD)/mta prove -j$(PROVE_JOBS) --exec '' $(UNIT_TESTS)
	$(if $(SAN),,MTA=$(CURDIR)/$(BUILD)/mta prove --exec '' tests/t_pipeline.sh tests/t_browser.sh)

test-pipeline: deps $(BUILD)/mta ## the end-to-end pipeline test only (make reproduce PROFILE=quick)
	MTA=$(CURDIR)/$(BUILD)/mta prove --exec '' tests/t_pipeline.sh

fixtures: deps-peer ## regenerate the PyTorch reference fixtures in tests/fixtures
	$(PYTHON) tools/gen_fixtures.py tests/fixtures
	$(PYTHON) tools/gen_attack_fixtures.py tests/fixtures
	$(PYTHON) tools/gen_generator_fixtures.py tests/fixtures
	$(PYTHON) tools/gen_lstm_fixtures.py tests/fixtures
	$(PYTHON) tools/gen_ste_fixture.py tests/fixtures/ste_small.bin
	$(PYTHON) tools/ptq_oracle.py --fixture tests/fixtures/ptq_oracle.bin

$(BUILD)/obj $(BUILD)/t:
	mkdir -p $@

clean: ## remove build outputs
	rm -rf build build-san

include experiments/experiments.mk
include experiments/fits.mk experiments/robustness.mk experiments/lm.mk plots/plots.mk reports/reports.mk
include experiments/cluster.mk
include tests/fuzz/fuzz.mk

# The PTQ benchmark needs a trained ResNet_18: the default profile's checkpoint when it exists,
# else one trained with the default profile's arguments into build/bench/ (never rewriting the
# committed data/default tables).
.PHONY: bench
BENCH_CKPT := build/bench/ResNet_18.safetensors
bench: deps-peer $(BUILD)/mta $(BENCH_CKPT) ## speed of mta against PyTorch (training, inference, PTQ sweep)
	tools/bench.sh $(BUILD)/mta $(BENCH_CKPT)
$(BENCH_CKPT): | $(BUILD)/mta
	@mkdir -p $(@D)
	if [ -f build/default/ckpt/ResNet_18.safetensors ]; then cp build/default/ckpt/ResNet_18.safetensors $@; else \
	  $(BUILD)/mta train ResNet_18 $$($(MAKE) -s -n PROFILE=default data/default/train/ResNet_18.tsv | \
	    sed -n 's|.*mta train ResNet_18 \(.*\) --out .*|\1|p') --out $@.tmp.safetensors --log $(@D)/ResNet_18.log.tsv --quiet && \
	  mv $@.tmp.safetensors $@; fi

# How far results move when OpenBLAS picks another kernel: retrains KERNEL_MODELS of the
# default profile under KERNEL_A and KERNEL_B ("auto": OPENBLAS_CORETYPE unset) and sweeps them
# (about 15 minutes); writes data/default/kernels.tsv, shown in the report.
KERNEL_A ?= Haswell
KERNEL_B ?= auto
KERNEL_MODELS ?= AlexNet_BN ResNet_18
.PHONY: kernels
kernels: $(BUILD)/mta ## how far training and PTQ results move between two OpenBLAS kernels (data/default/kernels.tsv)
	tools/kernels.sh $(BUILD)/mta data/default/kernels.tsv $(KERNEL_A) $(KERNEL_B) $(KERNEL_MODELS)

# training and the sweeps run JOBS at a time (profile setting) with THREADS threads each; the
# fits are single-threaded and independent, so they run side by side
FIT_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
.PHONY: reproduce
STAGES = build/$(PROFILE)/stages.tsv
reproduce: deps ## the whole study for PROFILE (default): train, stats, ptq, gen, robust, the language model, fits, figures, reports (CLUSTER=slurm: as Slurm jobs)
ifeq ($(CLUSTER),slurm)
	@PROFILE=$(PROFILE) PTQ_CHUNK=$(SLURM_PTQ_CHUNK) ROBUST_CHUNK=$(SLURM_ROBUST_CHUNK) SLURM_CPUS=$(SLURM_CPUS) SLURM_MEM=$(SLURM_MEM) \
	  SLURM_PARTITION='$(SLURM_PARTITION)' SBATCH_OPTS='$(SBATCH_OPTS)' SLURM_WAIT=$(SLURM_WAIT) \
	  $(foreach s,train stats ptq gen robust ptq_gen box pca lm final,SLURM_TIME_$(s)=$(SLURM_TIME_$(s))) MAKE=make \
	  tools/slurm/submit.sh
else ifneq ($(CLUSTER),)
	@echo "reproduce: CLUSTER=$(CLUSTER): the only cluster is slurm (or none, for a local run)" >&2; exit 2
else
	@rm -f $(STAGES)
	@tools/stage.sh $(STAGES) build $(MAKE) $(BUILD)/mta
	@tools/stage.sh $(STAGES) train $(MAKE) -j$(or $(JOBS),1) train
	@tools/stage.sh $(STAGES) stats+ptq $(MAKE) -j$(or $(JOBS),1) results stats
	@tools/stage.sh $(STAGES) gen+robust $(MAKE) -j$(or $(JOBS),1) security
	@$(if $(LM_MODEL),tools/stage.sh $(STAGES) lm $(MAKE) lm,true)
	@$(if $(REPLICATE),tools/stage.sh $(STAGES) zoo:$(REPLICATE) $(MAKE) -j$(or $(JOBS),1) PROFILE=$(REPLICATE) zoo,true)
	@tools/stage.sh $(STAGES) fits+figures+reports $(MAKE) -j$(FIT_JOBS) fits figures reports
	@echo "wall time per stage: $(STAGES)" && cat $(STAGES)
endif

test-slurm: deps-slurm $(BUILD)/mta ## start a one-node Slurm here, run the quick profile through it, compare with a local run
	prove --exec '' tests/t_slurm.sh

-include $(OBJ:.o=.d) $(TESTS:.t=.d)
