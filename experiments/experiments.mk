# experiments.mk — the research pipeline's data stages (included by the Makefile):
# train -> stats -> ptq -> results, one chain per model of the profile.
# Files: build/<profile>/ckpt/<Model>.safetensors (checkpoints, not committed),
#        data/<profile>/train/<Model>.tsv (training log), data/<profile>/stats/<Model>.tsv,
#        data/<profile>/ptq/<Model>.tsv, .layers.tsv and .settings.tsv, data/<profile>/results.tsv (all models),
#        data/<profile>/train_summary.tsv.
# Editing a model file reruns only that model's chain; editing the profile reruns the models
# whose training or sweep arguments changed (stamps in build/<profile>/args/).

PROFILE ?= default
PROFILE_MK := experiments/profiles/$(PROFILE).mk
include $(PROFILE_MK)

D := data/$(PROFILE)
B := build/$(PROFILE)
MTA := $(BUILD)/mta

width_of  = $(or $(WIDTH_$(1)),$(WIDTH))
epochs_of = $(or $(EPOCHS_$(1)),$(EPOCHS))
limit_of  = $(or $(TRAIN_LIMIT_$(1)),$(TRAIN_LIMIT))
lr_of     = $(or $(LR_$(1)),$(LR))
init_of   = $(or $(INIT_$(1)),$(INIT),pytorch)
batch_of  = $(or $(BATCH_$(1)),$(BATCH))

CKPTS      := $(MODELS:%=$(B)/ckpt/%.safetensors)
TRAIN_LOGS := $(MODELS:%=$(D)/train/%.tsv)
STATS      := $(MODELS:%=$(D)/stats/%.tsv)
PTQS       := $(MODELS:%=$(D)/ptq/%.tsv)
PTQ_SETTINGS := $(MODELS:%=$(D)/ptq/%.settings.tsv)

.PHONY: train stats ptq results
.SECONDARY: $(CKPTS)

# with make -jN the runs start in TRAIN_ORDER (longest first balances the lanes)
train: $(patsubst %,$(D)/train/%.tsv,$(or $(TRAIN_ORDER),$(MODELS))) ## train every model of the profile
stats: $(STATS) ## complexity tables of every model
ptq: $(PTQS) ## PTQ sweeps of every model
results: $(D)/results.tsv $(D)/train_summary.tsv ## pooled result tables

# The settings of one model's training and sweep, as command-line arguments.  Each is kept in
# a stamp file (build/<profile>/args/<Model>.train, .ptq) that is rewritten only when the
# arguments change, so that editing the profile reruns exactly the models whose settings moved.
train_args = --data $(DATA) --width $(call width_of,$(1)) --epochs $(call epochs_of,$(1)) \
  --train-limit $(call limit_of,$(1)) --batch $(call batch_of,$(1)) --lr $(call lr_of,$(1)) \
  --milestones $(MILESTONES) --warmup $(or $(WARMUP_$(1)),$(WARMUP),1) --val-frac $(or $(VAL_FRAC),0.2) \
  --init $(call init_of,$(1)) $(if $(CROP_PAD),--crop-pad $(CROP_PAD)) $(if $(SCHEDULE),--schedule $(SCHEDULE)) \
  --seed $(SEED) --threads $(THREADS)
ptq_args = --data $(DATA) --configs $(PTQ_CONFIGS) --calib-batches $(CALIB_BATCHES) --batch $(or $(PTQ_BATCH),128) \
  $(if $(filter-out 0,$(PTQ_LIMIT)),--limit $(PTQ_LIMIT)) --seed $(SEED) --threads $(THREADS)

# The stamps are brought up to date while the makefile is read (not by rules with a forced
# prerequisite, so that `make -q` can still tell that nothing is left to do).
args_stamp = $(shell mkdir -p $(B)/args; f='$(B)/args/$(1)'; n='$(strip $(2))'; \
  if [ "$$(cat "$$f" 2>/dev/null)" != "$$n" ]; then printf '%s\n' "$$n" > "$$f"; fi)
$(foreach m,$(MODELS),$(call args_stamp,$(m).train,$(call train_args,$(m)))$(call args_stamp,$(m).ptq,$(call ptq_args,$(m))))
$(B)/args/%.train: | $(B)/args
	@printf '%s\n' '$(strip $(call train_args,$*))' > $@
$(B)/args/%.ptq: | $(B)/args
	@printf '%s\n' '$(strip $(call ptq_args,$*))' > $@
.PRECIOUS: $(B)/args/%.train $(B)/args/%.ptq

# one training run writes the checkpoint, its log and its summary line (grouped targets)
$(B)/ckpt/%.safetensors $(D)/train/%.tsv $(D)/train/%.summary: experiments/models/%.model $(B)/args/%.train | $(MTA) $(B)/ckpt $(D)/train
	@echo "train $* (profile $(PROFILE), width $(call width_of,$*))"
	$(MTA) train $* $(call train_args,$*) --out $(B)/ckpt/$*.safetensors --log $(D)/train/$*.tsv --quiet \
	  > $(D)/train/$*.summary.tmp && mv $(D)/train/$*.summary.tmp $(D)/train/$*.summary

$(D)/stats/%.tsv: experiments/models/%.model $(PROFILE_MK) $(MTA) | $(D)/stats
	$(MTA) stats $* --data $(DATA) --width $(call width_of,$*) > $@.tmp && mv $@.tmp $@

# (with PTQ_CHUNK > 0 the sweep runs in chunks and this table is their merge: cluster.mk)
PTQ_CHUNK ?= 0
ifeq ($(PTQ_CHUNK),0)
$(D)/ptq/%.tsv $(D)/ptq/%.layers.tsv $(D)/ptq/%.settings.tsv: $(B)/ckpt/%.safetensors $(B)/args/%.ptq $(MTA) | $(D)/ptq
	@echo "ptq $* (profile $(PROFILE))"
	$(MTA) ptq $(B)/ckpt/$*.safetensors $(call ptq_args,$*) --quiet --out $(D)/ptq/$*.tsv --layers $(D)/ptq/$*.layers.tsv
endif

# all models' rows in one table, a model column first (input of the fits and figures)
$(D)/results.tsv: $(PTQS)
	@awk 'FNR==1 && NR==1 {print "model\t" $$0} FNR>1 {m=FILENAME; sub(".*/", "", m); sub("[.]tsv$$", "", m); print m "\t" $$0}' $^ > $@.tmp && mv $@.tmp $@

$(D)/train_summary.tsv: $(TRAIN_LOGS)
	@awk 'FNR==1 && NR==1 {print} FNR>1 {print}' $(TRAIN_LOGS:.tsv=.summary) > $@.tmp && mv $@.tmp $@

$(B)/ckpt $(B)/args $(D)/train $(D)/stats $(D)/ptq:
	mkdir -p $@
