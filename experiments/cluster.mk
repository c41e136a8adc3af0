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
# ROBUST_CHUNK = N > 0 does the same for the robustness sweeps (build/<profile>/robust_chunks/,
# merged by tools/robust_merge.sh: every chunk attacks the full-precision model too, and those
# rows must agree).

PTQ_CHUNK ?= 0
SLURM_PTQ_CHUNK ?= 11
ROBUST_CHUNK ?= 0
SLURM_ROBUST_CHUNK ?= 4
SLURM_PARTITION ?=
SLURM_CPUS ?= $(THREADS)
SLURM_MEM ?= 4G
SLURM_TIME_train ?= 24:00:00
SLURM_TIME_stats ?= 00:10:00
SLURM_TIME_ptq ?= 04:00:00
SLURM_TIME_gen ?= 12:00:00
SLURM_TIME_robust ?= 24:00:00
SLURM_TIME_ptq_gen ?= 04:00:00
SLURM_TIME_box ?= 24:00:00
SLURM_TIME_pca ?= 04:00:00
SLURM_TIME_lm ?= 24:00:00
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

ifneq ($(ROBUST_CHUNK),0)
ROBUST_CFG_LIST := $(if $(filter all,$(ROBUST_CONFIGS)),$(ALL_CONFIGS),$(subst $(comma),$(space),$(ROBUST_CONFIGS)))
ROBUST_NCHUNKS := $(shell echo $$(( ($(words $(ROBUST_CFG_LIST)) + $(ROBUST_CHUNK) - 1) / $(ROBUST_CHUNK) )))
ROBUST_CHUNK_IDS := $(shell seq 1 $(ROBUST_NCHUNKS))
robust_chunk_configs = $(subst $(space),$(comma),$(wordlist $(shell echo $$(( ($(1) - 1) * $(ROBUST_CHUNK) + 1 ))),$(shell echo $$(( $(1) * $(ROBUST_CHUNK) ))),$(ROBUST_CFG_LIST)))
RC := $(B)/robust_chunks
robust_chunks_of = $(ROBUST_CHUNK_IDS:%=$(RC)/$(1).%)
$(call args_stamp,robust_chunk,$(ROBUST_CHUNK))

# chunk k of model m: `mta robust` with the model's sweep arguments and chunk k's configurations
define robust_chunk_rule
$(RC)/$(1).$(2).tsv $(RC)/$(1).$(2).settings.tsv &: $(B)/ckpt/$(1).safetensors $(B)/gen/$(1)_adjust.safetensors $(B)/args/$(1).robust \
		$(B)/args/robust_chunk | $(MTA) $(RC)
	@echo "robust $(1) chunk $(2) of $(ROBUST_NCHUNKS) (profile $(PROFILE))"
	$(MTA) robust $(B)/ckpt/$(1).safetensors --gen $(B)/gen/$(1)_adjust.safetensors --gen-plain $(B)/gen/$(1).safetensors \
	  $(subst --configs $(ROBUST_CONFIGS),--configs $(call robust_chunk_configs,$(2)),$(robust_args)) --out $(RC)/$(1).$(2).tsv --quiet
endef
$(foreach m,$(MODELS),$(foreach k,$(ROBUST_CHUNK_IDS),$(eval $(call robust_chunk_rule,$(m),$(k)))))

define robust_merge_rule
$(D)/robust/$(1).tsv $(D)/robust/$(1).settings.tsv &: $(foreach k,$(ROBUST_CHUNK_IDS),$(RC)/$(1).$(k).tsv $(RC)/$(1).$(k).settings.tsv) tools/robust_merge.sh | $(D)/robust
	tools/robust_merge.sh $(D)/robust/$(1) $(subst $(space),$(comma),$(ROBUST_CFG_LIST)) $(call robust_chunks_of,$(1))
endef
$(foreach m,$(MODELS),$(eval $(call robust_merge_rule,$(m))))
$(RC):
	mkdir -p $@
endif

# The plan tools/slurm/submit.sh submits: one line per task -- stage, task index (the model's
# position in TRAIN_ORDER, longest first; for ptq, and robust when chunked, the chunk number,
# one array per model), the
# model whose task it waits for (- for none), the stage of that task (train, gen; - or all),
# and its target file(s).  Besides each model's training, complexity table, generator, sweeps
# and PTQ chunks: the sweeps in the reference's box (box, BOX_MODELS) and the PCA and
# adversarial-example figures' tables (pca, PCA_MODEL), the language model's training and sweep
# (lm, when the profile has LM_MODEL), so that the final job is only the
# merge, the pooled tables, fits, figures and reports.
.PHONY: slurm-plan slurm-status slurm-cancel
SLURM_ORDER := $(or $(TRAIN_ORDER),$(MODELS))
slurm-plan:
	@i=0; for m in $(SLURM_ORDER); do \
	  printf 'train\t%d\t-\t-\t%s\n' $$i $(D)/train/$$m.tsv; \
	  printf 'stats\t%d\t-\t-\t%s\n' $$i $(D)/stats/$$m.tsv; \
	  printf 'gen\t%d\t%s\ttrain\t%s\n' $$i $$m $(D)/gen/$$m.tsv; \
	  $(if $(filter 0,$(ROBUST_CHUNK)),printf 'robust\t%d\t%s\tgen\t%s\n' $$i $$m $(D)/robust/$$m.tsv;) \
	  printf 'ptq_gen\t%d\t%s\tgen\t%s\n' $$i $$m $(D)/ptq_gen/$$m.tsv; \
	  case " $(BOX_MODELS) " in *" $$m "*) printf 'box\t%d\t%s\tgen\t%s\n' $$i $$m $(D)/robust_box/$$m.tsv;; esac; \
	  [ "$$m" != "$(PCA_MODEL)" ] || printf 'pca\t%d\t%s\tgen\t%s\n' $$i $$m "$(PCA_TSV) $(ADV_TSV)"; \
	  i=$$((i + 1)); done
	@$(if $(filter-out 0,$(PTQ_CHUNK)),for m in $(SLURM_ORDER); do for c in $(PTQ_CHUNK_IDS); do \
	  printf 'ptq\t%d\t%s\ttrain\t%s\n' $$c $$m $(PC)/$$m.$$c.tsv; done; done)
	@$(if $(filter-out 0,$(ROBUST_CHUNK)),for m in $(SLURM_ORDER); do for c in $(ROBUST_CHUNK_IDS); do \
	  printf 'robust\t%d\t%s\tgen\t%s\n' $$c $$m $(RC)/$$m.$$c.tsv; done; done)
	@$(if $(LM_MODEL),printf 'lm\t0\t-\t-\t%s\n' "$(LMD)/ptq.tsv $(LMD)/stats.tsv")
	@printf 'final\t0\t-\tall\t%s\n' "results stats security fits figures reports"

slurm-status: ## what this pipeline's Slurm jobs are doing: per stage pending / running / done / failed
	@tools/slurm/status.sh $(PROFILE)
slurm-cancel: ## cancel this pipeline's Slurm jobs (by their recorded job ids)
	@tools/slurm/cancel.sh $(PROFILE)

# The expected wall time of the profile on a cluster (experiments/cluster.md, "Scaling"): the
# tasks' rates measured on this machine (make cluster-scaling: about 10 minutes, on an idle
# machine), priced with the profile's image counts by tools/slurm/scaling.awk.
.PHONY: cluster-scaling cluster-scaling-table
SCALING_RATES := data/cluster/rates.tsv
cluster-scaling: $(MTA) ## measure what the paper profile's tasks cost here; regenerate experiments/cluster.md's scaling tables
	tools/slurm/scaling.sh $(MTA) $(SCALING_RATES)
	$(MAKE) --no-print-directory PROFILE=paper cluster-scaling-table
cluster-scaling-table: ## experiments/cluster.md's scaling tables for PROFILE (paper) from the measured rates
	@test -s $(SCALING_RATES) || { echo "error: $(SCALING_RATES) missing: make cluster-scaling measures it" >&2; exit 2; }
	@mkdir -p $(B)
	awk -f tools/slurm/scaling.awk -v nodes="1 16 128" -v cores="2 32" -v epochs=$(EPOCHS) -v valfrac=$(or $(VAL_FRAC),0.2) \
	  -v calib=$(CALIB_BATCHES) -v pbatch=$(PTQ_BATCH) -v chunk=$(SLURM_PTQ_CHUNK) -v rchunk=$(SLURM_ROBUST_CHUNK) -v configs="$(PTQ_CFG_LIST)" \
	  -v gepochs=$(GEN_EPOCHS) -v giters=$(GEN_ITERS) -v gbatch=$(GEN_BATCH) -v adjb=$(ADJUST_BATCHES) -v cap=$(ADJUST_CAP) \
	  -v natk=$(ATTACK_TEST) -v npseudo=$(ROBUST_PSEUDO) -v boxmodels="$(BOX_MODELS)" \
	  -v boxconfigs="$(subst $(comma),$(space),$(BOX_CONFIGS))" -v pcamodel=$(PCA_MODEL) -v pcatest=$(PCA_TEST) \
	  -v pcaper=$(PCA_PER_CLASS) $(SCALING_RATES) $(SCALING_RATES:.tsv=.settings.tsv) tools/slurm/adjust_iters.tsv > $(B)/scaling.md.tmp
	awk -v f=$(B)/scaling.md.tmp '/<!-- scaling:end -->/ { skip = 0 } !skip { print } \
	  /<!-- scaling:begin -->/ { while ((getline l < f) > 0) print l; skip = 1; found = 1 } \
	  END { if (!found) { print "cluster-scaling-table: no <!-- scaling:begin --> in experiments/cluster.md" > "/dev/stderr"; exit 1 } }' \
	  experiments/cluster.md > $(B)/cluster.md.tmp && mv $(B)/cluster.md.tmp experiments/cluster.md && rm -f $(B)/scaling.md.tmp
