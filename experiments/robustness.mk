# robustness.mk — the security half (included by the Makefile after experiments.mk): per model
# a data-free generator trained from the checkpoint alone and adjusted to the test set's
# robustness (gen), the robustness sweep of the full-precision and every quantized model on
# test and pseudo data (robust), PTQ calibrated on generated images (ptq-gen), and the fits.
# Question, method, settings and quirks: experiments/robustness.md.
#
# Files: build/<profile>/gen/<Model>.safetensors, <Model>_adjust.safetensors (generators, not
#        committed); data/<profile>/gen/<Model>.tsv (summary row), <Model>.log.tsv (per epoch and
#        per adjust evaluation); data/<profile>/robust/<Model>.tsv (+ .settings.tsv, 44 rows);
#        data/<profile>/ptq_gen/<Model>.tsv (+ .layers.tsv, .settings.tsv);
#        data/<profile>/gen_summary.tsv, robust.tsv, ptq_gen.tsv (all models);
#        data/<profile>/fit/robust/input.tsv and its fits (F/robust/<v>.coef.tsv, .curve.tsv).
# Like training, the generators and the robustness sweeps (the expensive stages) rerun when their
# inputs or profile settings change, not for a new mta binary (delete the files or `make -B` to
# force); the data-free PTQ sweep reruns with the engine, as `make ptq` does.

GENS       := $(MODELS:%=$(B)/gen/%.safetensors)
GEN_SUMS   := $(MODELS:%=$(D)/gen/%.tsv)
ROBUSTS    := $(MODELS:%=$(D)/robust/%.tsv)
PTQ_GENS   := $(MODELS:%=$(D)/ptq_gen/%.tsv)
RF         := $(D)/fit/robust

gen_args = --data $(DATA) --epochs $(GEN_EPOCHS) --iters $(GEN_ITERS) --batch $(GEN_BATCH) --lr $(GEN_LR) \
  --gen-width $(GEN_WIDTH) --adjust-cap $(ADJUST_CAP) --adjust-batches $(ADJUST_BATCHES) \
  --test-limit $(ATTACK_TEST) --attack-box $(ATTACK_BOX) --seed $(SEED) --threads $(THREADS)
robust_args = --data $(DATA) --configs $(ROBUST_CONFIGS) --test-limit $(ATTACK_TEST) --pseudo $(ROBUST_PSEUDO) \
  --gen-batch $(GEN_BATCH) --calib-batches $(CALIB_BATCHES) --batch $(or $(PTQ_BATCH),128) --ranges $(ROBUST_RANGES) \
  --attack-box $(ATTACK_BOX) --seed $(SEED) --threads $(THREADS)
# the same with BOX_CONFIGS and the normalized box (the pair of boxes, below)
robust_box_args = $(subst --attack-box $(ATTACK_BOX),--attack-box normalized,$(subst --configs $(ROBUST_CONFIGS),--configs $(BOX_CONFIGS),$(robust_args)))
ptq_gen_args = $(call ptq_args,$(1)) --gen-batch $(GEN_BATCH)

$(foreach m,$(MODELS),$(call args_stamp,$(m).gen,$(gen_args))$(call args_stamp,$(m).robust,$(robust_args))$(call args_stamp,$(m).ptq_gen,$(call ptq_gen_args,$(m))))
$(B)/args/%.gen: | $(B)/args
	@printf '%s\n' '$(strip $(gen_args))' > $@
$(B)/args/%.robust: | $(B)/args
	@printf '%s\n' '$(strip $(robust_args))' > $@
$(B)/args/%.ptq_gen: | $(B)/args
	@printf '%s\n' '$(strip $(call ptq_gen_args,$*))' > $@
.PRECIOUS: $(B)/args/%.gen $(B)/args/%.robust $(B)/args/%.ptq_gen
.SECONDARY: $(GENS) $(GENS:.safetensors=_adjust.safetensors)

# the figures of spec §4 for one model (the reference's ResNet_18 when the profile has it): PCA of
# its penultimate features for test, plain and adjusted pseudo images; adversarial examples
# both boxes (spec §3.1, quirk 10) for BOX_MODELS: the selected configurations again with ε and the
# [0, 1] box applied to the normalized values (the reference's attack), everything else equal
BOX_MODELS  ?= $(filter AlexNet_BN ResNet_18,$(MODELS))
BOX_CONFIGS := INT_4,INT_8,POT_4,FLOAT_6_E3
BOX_TSVS    := $(BOX_MODELS:%=$(D)/robust_box/%.tsv)
PCA_MODEL := $(if $(filter ResNet_18,$(MODELS)),ResNet_18,$(firstword $(MODELS)))
PCA_TSV   := $(D)/pca/$(PCA_MODEL).tsv
ADV_TSV   := $(D)/adv/$(PCA_MODEL).tsv

.PHONY: gen robust ptq-gen security
gen: $(GEN_SUMS) ## train and adjust the data-free generator of every model
robust: $(ROBUSTS) ## robustness sweeps of every model (test and pseudo data)
ptq-gen: $(PTQ_GENS) ## PTQ sweeps calibrated on generated images (data-free PTQ)
security: $(D)/gen_summary.tsv $(D)/robust.tsv $(D)/ptq_gen.tsv $(PCA_TSV) $(ADV_TSV) $(D)/robust_box.tsv ## the security half's tables

# one run trains the generator, adjusts it, and writes both checkpoints, the log and the summary
$(B)/gen/%.safetensors $(B)/gen/%_adjust.safetensors $(D)/gen/%.tsv $(D)/gen/%.log.tsv: \
		$(B)/ckpt/%.safetensors $(B)/args/%.gen | $(MTA) $(B)/gen $(D)/gen
	@echo "gen $* (profile $(PROFILE))"
	$(MTA) gen $(B)/ckpt/$*.safetensors $(gen_args) --out $(B)/gen/$*.safetensors \
	  --adjust-out $(B)/gen/$*_adjust.safetensors --log $(D)/gen/$*.log.tsv --summary $(D)/gen/$*.tsv --quiet

# (with ROBUST_CHUNK > 0 the sweep runs in chunks of configurations and this table is their
# merge: cluster.mk)
ROBUST_CHUNK ?= 0
ifeq ($(ROBUST_CHUNK),0)
$(D)/robust/%.tsv $(D)/robust/%.settings.tsv: $(B)/ckpt/%.safetensors $(B)/gen/%_adjust.safetensors $(B)/args/%.robust \
		| $(MTA) $(D)/robust
	@echo "robust $* (profile $(PROFILE))"
	$(MTA) robust $(B)/ckpt/$*.safetensors --gen $(B)/gen/$*_adjust.safetensors --gen-plain $(B)/gen/$*.safetensors \
	  $(robust_args) --out $(D)/robust/$*.tsv --quiet
endif

$(D)/ptq_gen/%.tsv $(D)/ptq_gen/%.layers.tsv $(D)/ptq_gen/%.settings.tsv: $(B)/ckpt/%.safetensors \
		$(B)/gen/%_adjust.safetensors $(B)/args/%.ptq_gen $(MTA) | $(D)/ptq_gen
	@echo "ptq-gen $* (profile $(PROFILE))"
	$(MTA) ptq $(B)/ckpt/$*.safetensors $(call ptq_gen_args,$*) --calib-data gen:$(B)/gen/$*_adjust.safetensors \
	  --quiet --out $(D)/ptq_gen/$*.tsv --layers $(D)/ptq_gen/$*.layers.tsv

$(D)/pca/%.tsv $(D)/pca/%.settings.tsv: $(B)/ckpt/%.safetensors $(B)/gen/%_adjust.safetensors $(MTA) $(PROFILE_MK) | $(D)/pca
	$(MTA) features $(B)/ckpt/$*.safetensors --data $(DATA) --gen $(B)/gen/$*_adjust.safetensors \
	  --gen-plain $(B)/gen/$*.safetensors --test-limit $(PCA_TEST) --per-class $(PCA_PER_CLASS) --seed $(SEED) \
	  --threads $(THREADS) --out $(D)/pca/$*.tsv

$(D)/adv/%.tsv: $(B)/ckpt/%.safetensors $(MTA) $(PROFILE_MK) | $(D)/adv
	$(MTA) attack $(B)/ckpt/$*.safetensors --data $(DATA) --attack pgd --attack-box $(ATTACK_BOX) --limit $(ADV_IMAGES) \
	  --dump $(ADV_IMAGES) --dump-out $@ --seed $(SEED) --threads $(THREADS) --quiet --out $(D)/adv/$*.attack.tsv

$(D)/robust_box/%.tsv $(D)/robust_box/%.settings.tsv: $(B)/ckpt/%.safetensors $(B)/gen/%_adjust.safetensors \
		$(B)/args/%.robust | $(MTA) $(D)/robust_box
	@echo "robust (normalized box) $* (profile $(PROFILE))"
	$(MTA) robust $(B)/ckpt/$*.safetensors --gen $(B)/gen/$*_adjust.safetensors --gen-plain $(B)/gen/$*.safetensors \
	  $(robust_box_args) --out $(D)/robust_box/$*.tsv --quiet

# pixel and normalized box side by side: model title, then each box's six accuracies
$(D)/robust_box.tsv: $(ROBUSTS) $(BOX_TSVS) $(AWK_DIR)/robust_box.awk
	awk -f $(AWK_DIR)/robust_box.awk $(D)/robust.tsv $(BOX_TSVS) > $@.tmp && mv $@.tmp $@

$(D)/gen_summary.tsv: $(GEN_SUMS)
	@awk 'FNR==1 && NR==1 {print} FNR>1 {print}' $^ > $@.tmp && mv $@.tmp $@

$(D)/robust.tsv: $(ROBUSTS)
	@awk 'FNR==1 && NR==1 {print "model\t" $$0} FNR>1 {m=FILENAME; sub(".*/", "", m); sub("[.]tsv$$", "", m); print m "\t" $$0}' $^ > $@.tmp && mv $@.tmp $@

# real- vs generated-data calibration, per model and configuration
$(D)/ptq_gen.tsv: $(D)/results.tsv $(PTQ_GENS) $(AWK_DIR)/ptq_gen.awk
	awk -f $(AWK_DIR)/ptq_gen.awk $(D)/results.tsv $(PTQ_GENS) > $@.tmp && mv $@.tmp $@

# --- fits ------------------------------------------------------------------------------------
# loss of robust accuracy against js_flops (the reference's recipe: rational P2/Q2, monotone
# grid h = 0.5), per model and pooled; and does pseudo data predict the test-set numbers: the
# test-set relative accuracy (config / Full) against the pseudo-set one, a straight line per
# model and pooled (spec §3.5: "visually almost linear").  Relative numbers need a Full accuracy
# well above 0: those fits use input_rel.tsv, the models whose Full accuracies (clean and PGD,
# test and pseudo) are all >= ROBUST_MIN_FULL points; the same question in points (test
# accuracy against pseudo accuracy, every model) is org_abs / pgd_abs.
ROBUST_MIN_FULL ?= 5
ROBUST_FITS       := org_flops pgd_flops org_transfer pgd_transfer org_abs pgd_abs
ROBUST_FIT_XS     := js_flops js_flops org_rel_gen pgd_rel_gen org_gen_acc pgd_gen_acc
RFIT_org_flops    := input_rel --x js_flops --y org_loss --family rational --degree 2 --monotone-grid 0.5 --seed $(SEED)
RFIT_pgd_flops    := input_rel --x js_flops --y pgd_loss --family rational --degree 2 --monotone-grid 0.5 --seed $(SEED)
RFIT_org_transfer := input_rel --x org_rel_gen --y org_rel_test --family poly --degree 1
RFIT_pgd_transfer := input_rel --x pgd_rel_gen --y pgd_rel_test --family poly --degree 1
RFIT_org_abs      := input --x org_gen_acc --y org_acc --family poly --degree 1
RFIT_pgd_abs      := input --x pgd_gen_acc --y pgd_acc --family poly --degree 1
ROBUST_FIT_TABLES := $(ROBUST_FITS:%=$(RF)/%.coef.tsv) $(RF)/summary.tsv

.PHONY: fits-robust
fits: fits-robust
fits-robust: $(ROBUST_FIT_TABLES) ## fits of the robustness sweep (data/<profile>/fit/robust)

$(RF)/input.tsv: $(D)/results.tsv $(D)/robust.tsv $(AWK_DIR)/robust_input.awk | $(RF)
	awk -f $(AWK_DIR)/robust_input.awk $(D)/results.tsv $(D)/robust.tsv > $@.tmp && mv $@.tmp $@
$(RF)/input_rel.tsv: $(D)/results.tsv $(D)/robust.tsv $(AWK_DIR)/robust_input.awk experiments/robustness.mk | $(RF)
	awk -v min_full=$(ROBUST_MIN_FULL) -f $(AWK_DIR)/robust_input.awk $(D)/results.tsv $(D)/robust.tsv > $@.tmp && mv $@.tmp $@

$(RF)/%.coef.tsv $(RF)/%.curve.tsv $(RF)/%.lomo.tsv: $(RF)/input.tsv $(RF)/input_rel.tsv $(MTA) experiments/robustness.mk
	@echo "fit robust $* (profile $(PROFILE))"
	@$(call mta_fit,$(RF)/$(firstword $(RFIT_$*)).tsv $(wordlist 2,100,$(RFIT_$*)) --by model --out $(RF)/$*)

$(RF)/summary.tsv: $(ROBUST_FITS:%=$(RF)/%.coef.tsv) $(AWK_DIR)/fitsum.awk
	awk -v mode=summary -v key=fit -v names="$(ROBUST_FITS)" -v xs="$(ROBUST_FIT_XS)" -f $(AWK_DIR)/fitsum.awk \
	  $(ROBUST_FITS:%=$(RF)/%.coef.tsv) > $@.tmp && mv $@.tmp $@

$(B)/gen $(D)/gen $(D)/robust $(D)/robust_box $(D)/ptq_gen $(D)/pca $(D)/adv $(RF):
	mkdir -p $@
