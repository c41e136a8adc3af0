# fuzz.mk — libFuzzer targets of the parsers (included by the Makefile).
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="model json"]
# builds every tests/fuzz/fuzz_<name>.c with the engine under ASan + UBSan (Debian's clang and
# libclang-rt), then runs each for FUZZ_SECONDS on a scratch copy of its committed seed
# corpus (tests/fuzz/corpus/<name>/; new inputs go to build/fuzz/corpus-<name>/, never into
# the committed one).  Exits non-zero when a target crashes, leaks, times out or runs out of
# memory; the input that did it is in build/fuzz/artifacts/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FZ           := build/fuzz
FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_CFLAGS  := $(STD) -g -O1 -march=x86-64-v3 -Isrc -Itests/fuzz -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ     := $(patsubst src/%.c,$(FZ)/obj/%.o,$(SRC))
.SECONDARY: $(FUZZ_OBJ)   # keep the instrumented objects between runs

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_ALL:%=$(FZ)/%) ## build the libFuzzer targets (needs clang)
fuzz: fuzz-build ## run every libFuzzer target for FUZZ_SECONDS (default 60) under ASan+UBSan
	@mkdir -p $(FZ)/artifacts; status=0; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FZ)/corpus-$$t; \
	  echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 $(FZ)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix=$(FZ)/artifacts/$$t- \
	    $(FZ)/corpus-$$t tests/fuzz/corpus/$$t > $(FZ)/$$t.log 2>&1 || { status=1; echo "fuzz $$t: FAILED (see $(FZ)/$$t.log)"; tail -30 $(FZ)/$$t.log; }; \
	  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' $(FZ)/$$t.log | tr '\n' ' '; \
	  grep -E '^#[0-9]+.*(DONE|cov:)' $(FZ)/$$t.log | tail -1; \
	done; exit $$status

$(FZ)/obj/%.o: src/%.c config.mk tests/fuzz/fuzz.mk
	@command -v $(FUZZ_CC) >/dev/null || { echo "error: $(FUZZ_CC) not found: apt-get install clang libclang-rt-14-dev" >&2; exit 2; }
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (fuzz)")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FZ)/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_OBJ)
	@$(if $(Q),echo "  LD      $@ (fuzz)")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJ) -o $@ $(LDLIBS)
