# cluster.mk — the same pipeline on a Slurm cluster (included by the Makefile after the stage
# makefiles).  `make reproduce CLUSTER=slurm` calls tools/slurm/submit.sh, which submits one
# Slurm task per file target of this graph (each task runs `make <its target>`), so the Make
# graph stays the single source of truth and a resubmission skips what is complete.  How to use
# it, and what it costs at scale: experiments/cluster.md.
#
# PTQ chunks: with PTQ_CHUNK = N > 0 a model's sweep is split into chunks of N configurations
# in the canonical order (build/<profile>/ptq_chunks/<Model>.<k>.tsv, .layers.tsv,
# .settings.tsv), and data/<profile>/ptq/<Model>.tsv is their merge (tools/ptq_merge.sh): the
# rows of every chunk in order, the bytes a single `mta ptq` run writes (configurations are
# calibrated and evaluated independently of each other).  A missing, duplicated or foreign
# chunk is an error naming it.  PTQ_CHUNK = 0 (the default, and every local run) is one run.

PTQ_CHUNK ?= 0
SLURM_PTQ_CHUNK ?= 11
SLURM_PARTITION ?=
SLURM_CPUS ?= $(THREADS)
SLURM_MEM ?= 4G
SLURM_TIME_train ?= 24:00:00
SLURM_TIME_stats ?= 00:10:00
SLURM_TIME_ptq ?= 04:00:00
SLURM_TIME_gen ?= 12:00:00
SLURM_TIME_robust ?= 24:00:00
SLURM_TIME_ptq_gen ?= 04:00:00
SLURM_TIME_final ?= 12:00:00
SBATCH_OPTS ?=
SLURM_WAIT ?= 0

comma := ,
empty :=
space := $(empty) $(empty)
# the 43 configurations in the engine's order (src/quant/config.c; tests/t_slurm.sh checks
# that this list equals the titles `mta ptq --configs all` writes)
ALL_CONFIGS := $(foreach b,2 3 4 5 6 7 8 9 10 11 12 13 14 15 16,INT_$(b)) \
  $(foreach b,2 3 4 5 6 7 8,POT_$(b)) FLOAT_3_E1 FLOAT_4_E1 FLOAT_4_E2 \
  $(foreach e,1 2 3,FLOAT_5_E$(e)) $(foreach e,1 2 3 4,FLOAT_6_E$(e)) \
  $(foreach e,1 2 3 4 5,FLOAT_7_E$(e)) $(foreach e,1 2 3 4 5 6,FLOAT_8_E$(e))
PTQ_CFG_LIST := $(if $(filter all,$(PTQ_CONFIGS)),$(ALL_CONFIGS),$(subst $(comma),$(space),$(PTQ_CONFIGS)))

ifneq ($(PTQ_CHUNK),0)
PTQ_NCHUNKS := $(shell echo $$(( ($(words $(PTQ_CFG_LIST)) + $(PTQ_CHUNK) - 1) / $(PTQ_CHUNK) )))
PTQ_CHUNK_IDS := $(shell seq 1 $(PTQ_NCHUNKS))
chunk_first = $(shell echo $$(( ($(1) - 1) * $(PTQ_CHUNK) + 1 )))
chunk_last  = $(shell echo $$(( $(1) * $(PTQ_CHUNK) )))
# chunk_configs(k): the comma-separated configurations of chunk k
chunk_configs = $(subst $(space),$(comma),$(wordlist $(call chunk_first,$(1)),$(call chunk_last,$(1)),$(PTQ_CFG_LIST)))
PC := $(B)/ptq_chunks
ptq_chunks_of = $(PTQ_CHUNK_IDS:%=$(PC)/$(1).%)
$(call args_stamp,ptq_chunk,$(PTQ_CHUNK))

# chunk k of model m: `mta ptq` with the model's sweep arguments and chunk k's configurations
define ptq_chunk_rule
$(PC)/$(1).$(2).tsv $(PC)/$(1).$(2).layers.tsv $(PC)/$(1).$(2).settings.tsv &: $(B)/ckpt/$(1).safetensors $(B)/args/$(1).ptq $(B)/args/ptq_chunk $(MTA) | $(PC)
	@echo "ptq $(1) chunk $(2) of $(PTQ_NCHUNKS) (profile $(PROFILE))"
	$(MTA) ptq $(B)/ckpt/$(1).safetensors $(subst --configs $(PTQ_CONFIGS),--configs $(call chunk_configs,$(2)),$(call ptq_args,$(1))) \
	  --quiet --out $(PC)/$(1).$(2).tsv --layers $(PC)/$(1).$(2).layers.tsv
endef
$(foreach m,$(MODELS),$(foreach k,$(PTQ_CHUNK_IDS),$(eval $(call ptq_chunk_rule,$(m),$(k)))))

# the merge: data/<profile>/ptq/<Model>.{tsv,layers.tsv,settings.tsv} from the chunks, in order
define ptq_merge_rule
$(D)/ptq/$(1).tsv $(D)/ptq/$(1).layers.tsv $(D)/ptq/$(1).settings.tsv &: $(foreach k,$(PTQ_CHUNK_IDS),$(PC)/$(1).$(k).tsv $(PC)/$(1).$(k).layers.tsv $(PC)/$(1).$(k).settings.tsv) tools/ptq_merge.sh | $(D)/ptq
	tools/ptq_merge.sh $(D)/ptq/$(1) $(subst $(space),$(comma),$(PTQ_CFG_LIST)) $(call ptq_chunks_of,$(1))
endef
$(foreach m,$(MODELS),$(eval $(call ptq_merge_rule,$(m))))
$(PC):
	mkdir -p $@
endif

# The plan tools/slurm/submit.sh submits: one line per task -- stage, task index (the model's
# position in TRAIN_ORDER, longest first; for ptq the chunk number, one array per model), the
# model whose task it waits for (- for none), the stage of that task (train, gen; - or all),
# and its target file(s).
.PHONY: slurm-plan slurm-status slurm-cancel
SLURM_ORDER := $(or $(TRAIN_ORDER),$(MODELS))
slurm-plan:
	@i=0; for m in $(SLURM_ORDER); do \
	  printf 'train\t%d\t-\t-\t%s\n' $$i $(D)/train/$$m.tsv; \
	  printf 'stats\t%d\t-\t-\t%s\n' $$i $(D)/stats/$$m.tsv; \
	  printf 'gen\t%d\t%s\ttrain\t%s\n' $$i $$m $(D)/gen/$$m.tsv; \
	  printf 'robust\t%d\t%s\tgen\t%s\n' $$i $$m $(D)/robust/$$m.tsv; \
	  printf 'ptq_gen\t%d\t%s\tgen\t%s\n' $$i $$m $(D)/ptq_gen/$$m.tsv; \
	  i=$$((i + 1)); done
	@$(if $(filter-out 0,$(PTQ_CHUNK)),for m in $(SLURM_ORDER); do for c in $(PTQ_CHUNK_IDS); do \
	  printf 'ptq\t%d\t%s\ttrain\t%s\n' $$c $$m $(PC)/$$m.$$c.tsv; done; done)
	@printf 'final\t0\t-\tall\t%s\n' "results stats security fits figures reports"

slurm-status: ## what this pipeline's Slurm jobs are doing: per stage pending / running / done / failed
	@tools/slurm/status.sh $(PROFILE)
slurm-cancel: ## cancel this pipeline's Slurm jobs (by their recorded job ids)
	@tools/slurm/cancel.sh $(PROFILE)
