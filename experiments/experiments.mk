# experiments.mk — the research pipeline's data stages (included by the Makefile):
# train -> stats -> ptq -> results, one chain per model of the profile.
# Files: build/<profile>/ckpt/<Model>.safetensors (checkpoints, not committed),
#        data/<profile>/train/<Model>.tsv (training log), data/<profile>/stats/<Model>.tsv,
#        data/<profile>/ptq/<Model>.tsv and .layers.tsv, data/<profile>/results.tsv (all models),
#        data/<profile>/train_summary.tsv.
# Editing a model file reruns only that model's chain; editing the profile reruns all.

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

.PHONY: train stats ptq results
.SECONDARY: $(CKPTS)

# with make -jN the runs start in TRAIN_ORDER (longest first balances the lanes)
train: $(patsubst %,$(D)/train/%.tsv,$(or $(TRAIN_ORDER),$(MODELS))) ## train every model of the profile
stats: $(STATS) ## complexity tables of every model
ptq: $(PTQS) ## PTQ sweeps of every model
results: $(D)/results.tsv $(D)/train_summary.tsv ## pooled result tables

# one training run writes the checkpoint, its log and its summary line (grouped targets)
$(B)/ckpt/%.safetensors $(D)/train/%.tsv $(D)/train/%.summary: experiments/models/%.model $(PROFILE_MK) | $(MTA) $(B)/ckpt $(D)/train
	@echo "train $* (profile $(PROFILE), width $(call width_of,$*))"
	$(MTA) train $* --data $(DATA) --width $(call width_of,$*) --epochs $(call epochs_of,$*) \
	  --train-limit $(call limit_of,$*) --batch $(call batch_of,$*) --lr $(call lr_of,$*) --milestones $(MILESTONES) \
	  --warmup $(or $(WARMUP_$*),$(WARMUP),1) --val-frac $(or $(VAL_FRAC),0.2) --init $(call init_of,$*) \
	  $(if $(CROP_PAD),--crop-pad $(CROP_PAD)) $(if $(SCHEDULE),--schedule $(SCHEDULE)) \
	  --seed $(SEED) --threads $(THREADS) --out $(B)/ckpt/$*.safetensors --log $(D)/train/$*.tsv --quiet \
	  > $(D)/train/$*.summary.tmp && mv $(D)/train/$*.summary.tmp $(D)/train/$*.summary

$(D)/stats/%.tsv: experiments/models/%.model $(PROFILE_MK) $(MTA) | $(D)/stats
	$(MTA) stats $* --dataset fmnist --width $(call width_of,$*) > $@.tmp && mv $@.tmp $@

$(D)/ptq/%.tsv $(D)/ptq/%.layers.tsv: $(B)/ckpt/%.safetensors $(MTA) | $(D)/ptq
	@echo "ptq $* (profile $(PROFILE))"
	$(MTA) ptq $(B)/ckpt/$*.safetensors --data $(DATA) --configs $(PTQ_CONFIGS) --calib-batches $(CALIB_BATCHES) \
	  --batch 128 $(if $(filter-out 0,$(PTQ_LIMIT)),--limit $(PTQ_LIMIT)) --seed $(SEED) --threads $(THREADS) \
	  --quiet --out $(D)/ptq/$*.tsv --layers $(D)/ptq/$*.layers.tsv

# all models' rows in one table, a model column first (input of the fits and figures)
$(D)/results.tsv: $(PTQS)
	@awk 'FNR==1 && NR==1 {print "model\t" $$0} FNR>1 {m=FILENAME; sub(".*/", "", m); sub("[.]tsv$$", "", m); print m "\t" $$0}' $^ > $@.tmp && mv $@.tmp $@

$(D)/train_summary.tsv: $(TRAIN_LOGS)
	@awk 'FNR==1 && NR==1 {print} FNR>1 {print}' $(TRAIN_LOGS:.tsv=.summary) > $@.tmp && mv $@.tmp $@

$(B)/ckpt $(D)/train $(D)/stats $(D)/ptq:
	mkdir -p $@
