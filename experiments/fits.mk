# fits.mk -- the fit stage (included by the Makefile after experiments.mk): curves of the
# accuracy loss against similarity metrics, per model and pooled, with leave-one-model-out
# (LOMO) prediction errors; the comparison of similarity metrics as predictors; the archived
# variants of fit_bkp.md.  Question, method and the reasons for each setting:
# experiments/fits.md.  Every fit is `mta fit ... --by model`, so each coef table holds one row
# per model plus the pooled row ALL with its LOMO RMSE and the predict-the-mean baseline.
#
# Files (F = data/<profile>/fit):
#   F/<v>.coef.tsv, F/<v>.curve.tsv   the reference's recipe, x = the column of variant v;
#   F/<v>.lomo.tsv                    its leave-one-model-out prediction of every point
#   F/variants.tsv                    pooled fit, LOMO and per-model R² summary of the variants
#   F/r2.tsv, F/lomo.tsv              per-model R² / LOMO RMSE of every variant (wide tables)
#   F/pot.tsv                         the POT pile-up: js and acc_loss spread within POT vs INT
#   D/noise/<Model>.tsv, .layers.tsv  the data-free analytic noise model (mta noise: weights and BN
#                                     statistics only) per configuration and per layer, with each
#                                     layer's measured output SQNR next to the predicted one
#   D/gradsim/<Model>.tsv             the gradient-similarity probe (mta grad-sim) per configuration
#   F/pred/metrics.tsv                results.tsv with the noise model's and the probe's columns joined
#   F/pred/input.tsv                  the metrics, oriented so that larger = further from FP32
#   F/pred/<metric>.coef.tsv, .curve.tsv, .lomo.tsv, F/pred/logpoly/...  (main recipe, sensitivity check)
#   F/predictors.tsv                  one row per metric: its tier, in-sample and LOMO RMSE vs baseline
#   F/predictors_logpoly.tsv          the same with a monotone cubic in log10(x + x0)
#   F/select/spec.tsv                 the candidate predictors of mta select (sel_candidates.awk)
#   F/select/lomo.candidates.tsv      each candidate's LOMO RMSE, bootstrap interval, per-model RMSE
#   F/select/lomo.nested.tsv          per tier, nested LOMO: the candidate chosen without the held-out
#                                     model, its RMSE and interval; .choices.tsv per fold, .pred.tsv
#                                     every point's nested prediction
#   F/noise.tsv                       the noise floor: RMS binomial standard error of acc_loss
#   D/samples/<Model>.tsv             mta sample-size: label-free metrics on disjoint draws of N images
#   F/sample_size/draws.tsv, summary.tsv  the label-free tier's nested LOMO per draw; per size over draws
#   F/bkp/input.tsv                   weight:bias variants recomputed from the layer tables
#   F/bkp/<v>.coef.tsv, .curve.tsv    their fits; F/bkp/summary.tsv, F/bkp/r2.tsv
# Editing this file refits everything (its settings are prerequisites, as the profile is for
# the data stages); a new mta binary refits too.

F := $(D)/fit
FITS_MK := experiments/fits.mk
AWK_DIR := experiments/awk

# ---------------------------------------------------------------------------------------------
# The reference's fits (spec fitting-and-reports §2.1, §2.2, §2.4): rational P2/Q2 of acc_loss
# against x, monotone non-decreasing by the grid check of flops.m (h = 0.5) / param.m (h = 0.1)
# turned into a constraint (mta fit --monotone-grid), deterministic starts seeded by SEED.

FIT_VARIANTS  := flops param wt_log wt_cbrt
FIT_X_flops   := js_flops
FIT_X_param   := js_param
FIT_X_wt_log  := js_flops_wt_log
FIT_X_wt_cbrt := js_flops_wt_cbrt
FIT_H_flops   := 0.5
FIT_H_param   := 0.1
FIT_H_wt_log  := 0.5
FIT_H_wt_cbrt := 0.5
FIT_REF       := --family rational --degree 2 --seed $(SEED)

# ---------------------------------------------------------------------------------------------
# Predictor comparison: every similarity column of results.tsv, one fit per model and pooled.
# Main recipe (experiments/fits.md): the reference's family for every metric -- rational P2/Q2,
# non-decreasing over the whole range (exactly verified; scale-free, unlike a grid step), x as
# measured.  Metrics in PRED_DECREASING (larger = more similar: SQNR in dB, cosine) are negated
# first, so that one non-decreasing curve serves all.  Sensitivity check (predictors_logpoly):
# a monotone cubic in log10(x + x0), x0 = the column's smallest positive value, for the columns
# without negative values (x itself for the others); the transform column records the choice.

PRED_METRICS    := js_flops js_param js_flops_wt_log js_flops_wt_cbrt js_hist_flops js_hist_param \
                   kl_flops kl_param mse_flops mse_param rel_l2_flops rel_l2_param \
                   sqnr_db_flops sqnr_db_param cosine_flops cosine_param logit_sqnr_db act_sqnr_db_flops \
                   agree_top1 kl_fp_q nm_sqnr_db nm_w_sqnr_db grad_js_flops grad_cos_flops grad_sqnr_db
PRED_DECREASING := sqnr_db_flops sqnr_db_param cosine_flops cosine_param logit_sqnr_db act_sqnr_db_flops agree_top1 \
                   nm_sqnr_db nm_w_sqnr_db grad_cos_flops grad_sqnr_db
# What computing each metric needs (a column of predictors.tsv): weight-only = the FP32 and the
# quantized parameters alone (the reference's premise); label-free = running the FP32 and the
# quantized model on images (no labels); data-free = also the BN running statistics as a model of
# the activations (the noise model's predicted output SQNR; its weight part nm_w_sqnr_db is
# weight-only).  The gradient probe (grad_*) is label-free: it runs both models on the
# calibration images.  The rest of PRED_METRICS is weight-only.
PRED_LABEL_FREE := logit_sqnr_db act_sqnr_db_flops agree_top1 kl_fp_q grad_js_flops grad_cos_flops grad_sqnr_db
PRED_DATA_FREE  := nm_sqnr_db
pred_tier        = $(if $(filter $(1),$(PRED_LABEL_FREE)),label-free,$(if $(filter $(1),$(PRED_DATA_FREE)),data-free,weight-only))
PRED_FIT        := --family rational --degree 2 --monotone --seed $(SEED)
PRED_FIT_LOG    := --family poly --degree 3 --monotone
pred_x           = $(if $(filter $(1),$(PRED_DECREASING)),neg_$(1),$(1))

# ---------------------------------------------------------------------------------------------
# fit_bkp.md (spec §4.3): the same model for every variant, rational P2/Q2 with the exact
# monotone constraint (scale-free: the variants' x ranges differ by orders of magnitude, so one
# grid step cannot serve all), plus P3/Q3 and P4/Q4 on js_flops for the degree comparison.

BKP_VARIANTS := js_flops js_flops_half js_flops_wratio js_param js_param_half js_param_wratio \
                mse_flops mse_flops_sqrtmac js_flops_wt_log js_flops_wt_cbrt
BKP_FITS     := $(BKP_VARIANTS) js_flops_d3 js_flops_d4
BKP_X_js_flops_d3 := js_flops
BKP_X_js_flops_d4 := js_flops
BKP_D_js_flops_d3 := 3
BKP_D_js_flops_d4 := 4
bkp_x = $(or $(BKP_X_$(1)),$(1))
bkp_d = $(or $(BKP_D_$(1)),2)

# ---------------------------------------------------------------------------------------------

FIT_TABLES := $(FIT_VARIANTS:%=$(F)/%.coef.tsv) $(FIT_VARIANTS:%=$(F)/%.curve.tsv) \
              $(F)/variants.tsv $(F)/r2.tsv $(F)/lomo.tsv $(F)/pot.tsv
PRED_TABLES := $(F)/predictors.tsv $(F)/predictors_logpoly.tsv
SEL         := $(F)/select
SEL_TABLES  := $(SEL)/lomo.candidates.tsv $(SEL)/lomo.nested.tsv $(SEL)/lomo.choices.tsv $(SEL)/lomo.pred.tsv \
               $(F)/noise.tsv
# the sample-size study (below); SS_* settings in experiments/profiles/*.mk
SS_SIZES ?= 32,128,512,2048
SS_POOL  ?= 4096
SS_DRAWS ?= 8
SAMPLES  := $(MODELS:%=$(D)/samples/%.tsv)
SS       := $(F)/sample_size
SS_TABLES := $(SS)/draws.tsv $(SS)/summary.tsv
BKP_TABLES  := $(BKP_FITS:%=$(F)/bkp/%.coef.tsv) $(BKP_FITS:%=$(F)/bkp/%.curve.tsv) \
               $(F)/bkp/summary.tsv $(F)/bkp/r2.tsv

.PHONY: fits fits-ref fits-pred fits-bkp fits-select zoo
fits: fits-ref fits-pred fits-bkp fits-select ## all fit tables of the profile (data/<profile>/fit)
fits-ref: $(FIT_TABLES) ## the reference's rational fits per model and pooled, with LOMO
fits-pred: $(PRED_TABLES) ## similarity metrics compared as predictors (fit/predictors.tsv)
fits-bkp: $(BKP_TABLES) ## the archived variants of fit_bkp.md (weight:bias, L2, degree)
fits-select: $(SEL_TABLES) $(SS_TABLES) ## predictors chosen per tier by nested LOMO, with intervals (fit/select)
zoo: train results stats $(SEL_TABLES) ## the accuracy half alone: train, PTQ, noise model, nested-LOMO selection (PROFILE=default_seed2)

# mta fit exits 1 when some fit failed: the tables are written and their status column says
# why, so the stage goes on; 2 (bad input) stops it.
mta_fit = $(MTA) fit $(1) || [ $$? -eq 1 ]

# (pattern rules with two targets: one run writes both files; the more specific pred/ and bkp/
# rules below win for their folders, make picks the shortest stem)
$(F)/%.coef.tsv $(F)/%.curve.tsv $(F)/%.lomo.tsv: $(D)/results.tsv $(MTA) $(FITS_MK) | $(F)
	@echo "fit $* (x = $(FIT_X_$*), profile $(PROFILE))"
	@$(call mta_fit,$< --x $(FIT_X_$*) --y acc_loss $(FIT_REF) --monotone-grid $(FIT_H_$*) --by model --out $(F)/$*)

$(F)/variants.tsv: $(FIT_VARIANTS:%=$(F)/%.coef.tsv) $(AWK_DIR)/fitsum.awk
	awk -v mode=summary -v key=variant -v names="$(FIT_VARIANTS)" \
	  -v xs="$(foreach v,$(FIT_VARIANTS),$(FIT_X_$(v)))" -f $(AWK_DIR)/fitsum.awk \
	  $(FIT_VARIANTS:%=$(F)/%.coef.tsv) > $@.tmp && mv $@.tmp $@

$(F)/r2.tsv $(F)/lomo.tsv: $(F)/%.tsv: $(FIT_VARIANTS:%=$(F)/%.coef.tsv) $(AWK_DIR)/fitsum.awk
	awk -v mode=wide -v stat=$(if $(filter r2,$*),r2,lomo_rmse) -v names="$(FIT_VARIANTS)" \
	  -f $(AWK_DIR)/fitsum.awk $(FIT_VARIANTS:%=$(F)/%.coef.tsv) > $@.tmp && mv $@.tmp $@

$(F)/pot.tsv: $(D)/results.tsv $(AWK_DIR)/pot.awk | $(F)
	awk -v lo=3 -v hi=8 -f $(AWK_DIR)/pot.awk $< > $@.tmp && mv $@.tmp $@

# --- predictors ------------------------------------------------------------------------------

# the data-free noise model: seconds per model, no image read (the observer range it estimates
# is that of CALIB_BATCHES x PTQ_BATCH calibration images); --measure adds to its per-layer
# table each layer's output SQNR measured in the quantized network calibrated as the sweep
# does (this part reads the calibration images; the predictions never do)
NOISES := $(MODELS:%=$(D)/noise/%.tsv)
$(D)/noise/%.tsv: $(B)/ckpt/%.safetensors $(MTA) | $(D)/noise
	$(MTA) noise $< --data $(DATA) --calib-images $$(( $(CALIB_BATCHES) * $(PTQ_BATCH) )) --out $@ \
	  --measure --batch $(PTQ_BATCH) --seed $(SEED) --threads $(THREADS)

# the gradient-similarity probe (mta grad-sim, quant/grad_sim.h): the straight-through gradient of
# every configuration against the full-precision one at the checkpoint, on the calibration images
# with the full-precision top-1 as labels (label-free)
GRADS := $(MODELS:%=$(D)/gradsim/%.tsv)
$(D)/gradsim/%.tsv: $(B)/ckpt/%.safetensors $(B)/args/%.ptq $(MTA) | $(D)/gradsim
	@echo "grad-sim $* (profile $(PROFILE))"
	$(MTA) grad-sim $< --data $(DATA) --configs $(PTQ_CONFIGS) --calib-batches $(CALIB_BATCHES) \
	  --batch $(or $(PTQ_BATCH),128) --seed $(SEED) --threads $(THREADS) --out $@

$(F)/pred/metrics.tsv: $(NOISES) $(GRADS) $(D)/results.tsv $(AWK_DIR)/join_cols.awk | $(F)/pred
	awk -v cols="nm_sqnr_db nm_w_sqnr_db" -f $(AWK_DIR)/join_cols.awk $(NOISES) $(D)/results.tsv | \
	  awk -v cols="grad_js_flops grad_cos_flops grad_sqnr_db" -f $(AWK_DIR)/join_cols.awk $(GRADS) - > $@.tmp && mv $@.tmp $@

$(F)/pred/input.tsv: $(F)/pred/metrics.tsv $(AWK_DIR)/pred_input.awk $(FITS_MK) | $(F)/pred
	awk -v metrics="$(PRED_METRICS)" -v decreasing="$(PRED_DECREASING)" \
	  -f $(AWK_DIR)/pred_input.awk $< > $@.tmp && mv $@.tmp $@

$(F)/pred/%.coef.tsv $(F)/pred/%.curve.tsv $(F)/pred/%.lomo.tsv: $(F)/pred/input.tsv $(MTA) $(FITS_MK)
	@echo "fit predictor $* (profile $(PROFILE))"
	@$(call mta_fit,$< --x $(call pred_x,$*) --y acc_loss $(PRED_FIT) --by model --out $(F)/pred/$*)

# log10(x + smallest positive x) when the column has no negative value, x itself otherwise
$(F)/pred/logpoly/%.coef.tsv $(F)/pred/logpoly/%.curve.tsv $(F)/pred/logpoly/%.lomo.tsv: $(F)/pred/input.tsv $(MTA) $(FITS_MK) | $(F)/pred/logpoly
	@echo "fit predictor $* (log-cubic, profile $(PROFILE))"
	@tr=$$(awk -F '\t' -v c="$(call pred_x,$*)" 'NR == 1 { for (i = 1; i <= NF; i++) if ($$i == c) j = i; next } \
	  { v = $$j + 0; if (v < 0) neg = 1; if (v > 0 && (!mp || v < mp)) mp = v } \
	  END { if (!neg && mp) printf "--transform log10 --x0 %.17g", mp }' $<); \
	$(call mta_fit,$< --x $(call pred_x,$*) --y acc_loss $(PRED_FIT_LOG) $$tr --by model --out $(F)/pred/logpoly/$*)

$(F)/predictors.tsv $(F)/predictors_logpoly.tsv: $(F)/%.tsv: \
		$(PRED_METRICS:%=$(F)/pred/%.coef.tsv) $(PRED_METRICS:%=$(F)/pred/logpoly/%.coef.tsv) $(AWK_DIR)/fitsum.awk
	awk -v mode=summary -v key=metric -v names="$(PRED_METRICS)" \
	  -v xs="$(foreach m,$(PRED_METRICS),$(call pred_x,$(m)))" \
	  -v tiers="$(foreach m,$(PRED_METRICS),$(call pred_tier,$(m)))" -f $(AWK_DIR)/fitsum.awk \
	  $(PRED_METRICS:%=$(F)/pred/$(if $(filter predictors_logpoly,$*),logpoly/)%.coef.tsv) > $@.tmp && mv $@.tmp $@

# --- nested LOMO (experiments/prediction.md) -------------------------------------------------
# Every candidate (sel_candidates.awk: the metrics' curves, the format's mean loss on the other
# models, ridge combinations) is fitted on every "all models but one" and "all but two" set;
# per tier, each held-out model's predictor is the candidate with the least LOMO error on the
# other eight models alone.  Bootstrap intervals: 2,000 resamples of the models, seeded.

$(SEL)/spec.tsv: $(AWK_DIR)/sel_candidates.awk $(FITS_MK) | $(SEL)
	awk -v metrics="$(PRED_METRICS)" -v xs="$(foreach m,$(PRED_METRICS),$(call pred_x,$(m)))" \
	  -v tiers="$(foreach m,$(PRED_METRICS),$(call pred_tier,$(m)))" -v seed=$(SEED) \
	  -f $(AWK_DIR)/sel_candidates.awk > $@.tmp && mv $@.tmp $@

$(SEL)/lomo.candidates.tsv $(SEL)/lomo.nested.tsv $(SEL)/lomo.choices.tsv $(SEL)/lomo.pred.tsv &: \
		$(F)/pred/input.tsv $(SEL)/spec.tsv $(MTA) | $(SEL)
	@echo "nested LOMO over $$(($$(wc -l < $(SEL)/spec.tsv) - 1)) candidates (profile $(PROFILE))"
	@$(MTA) select $< --candidates $(SEL)/spec.tsv --y acc_loss --by model --config title \
	  --seed $(SEED) --threads $(FIT_JOBS) --out $(SEL)/lomo

# --- the sample-size study of the label-free predictors -----------------------------------
# mta sample-size: each configuration calibrated as the sweep calibrates it, its label-free
# metrics on disjoint draws of N unlabelled training images the calibration did not see; then
# the label-free tier's nested LOMO once per draw (the label-free curves, the format's mean and
# the baseline as candidates).  SS_* settings: experiments/profiles/*.mk.
$(D)/samples/%.tsv: $(B)/ckpt/%.safetensors $(B)/args/%.ptq $(MTA) | $(D)/samples
	@echo "sample-size $* (profile $(PROFILE))"
	$(MTA) sample-size $< --data $(DATA) --configs $(PTQ_CONFIGS) --calib-batches $(CALIB_BATCHES) \
	  --batch $(or $(PTQ_BATCH),128) --seed $(SEED) --threads $(THREADS) \
	  --sizes $(SS_SIZES) --pool $(SS_POOL) --draws $(SS_DRAWS) --out $@

# the candidates: SS_METRICS' curves (as in F/select/spec.tsv), the format's mean, the baseline;
# written from sel_candidates.awk alone, so that a change of the other predictors does not
# rerun the draws
SS_METRICS := logit_sqnr_db agree_top1 kl_fp_q
$(SS)/spec.tsv: $(AWK_DIR)/sel_candidates.awk | $(SS)
	awk -v metrics="$(SS_METRICS)" -v xs="$(foreach m,$(SS_METRICS),$(call pred_x,$(m)))" \
	  -v tiers="$(foreach m,$(SS_METRICS),$(call pred_tier,$(m)))" -v seed=$(SEED) -f $< | \
	  awk -F'\t' 'NR == 1 || $$1 == "config_mean" || $$1 == "mean" || $$3 == "curve"' > $@.tmp && mv $@.tmp $@

$(SS)/draws.tsv: $(SAMPLES) $(D)/results.tsv $(SS)/spec.tsv $(AWK_DIR)/ss_inputs.awk $(AWK_DIR)/ss_collect.awk $(MTA)
	@echo "sample-size study: nested LOMO per draw (profile $(PROFILE))"
	@rm -rf $(SS)/tmp && mkdir -p $(SS)/tmp
	@awk -v dir=$(SS)/tmp -f $(AWK_DIR)/ss_inputs.awk $(D)/results.tsv $(SAMPLES)
	@for f in $(SS)/tmp/*.input.tsv; do \
	  $(MTA) select $$f --candidates $(SS)/spec.tsv --y acc_loss --by model --config title \
	    --boot 200 --seed $(SEED) --threads $(FIT_JOBS) --out $${f%.input.tsv} > /dev/null || exit 1; done
	@awk -v mode=draws -f $(AWK_DIR)/ss_collect.awk $(SS)/tmp/*.nested.tsv $(SS)/tmp/*.candidates.tsv > $@.tmp && mv $@.tmp $@
	@rm -rf $(SS)/tmp

$(SS)/summary.tsv: $(SS)/draws.tsv $(AWK_DIR)/ss_collect.awk
	awk -v mode=summary -f $(AWK_DIR)/ss_collect.awk $< > $@.tmp && mv $@.tmp $@

$(F)/noise.tsv: $(D)/results.tsv $(PTQS:.tsv=.settings.tsv) $(AWK_DIR)/noise_floor.awk | $(F)
	awk -f $(AWK_DIR)/noise_floor.awk $(D)/results.tsv $(PTQS:.tsv=.settings.tsv) > $@.tmp && mv $@.tmp $@

# --- fit_bkp.md variants ---------------------------------------------------------------------

$(F)/bkp/input.tsv: $(D)/results.tsv $(STATS) $(PTQS:.tsv=.layers.tsv) $(AWK_DIR)/bkp_input.awk | $(F)/bkp
	awk -f $(AWK_DIR)/bkp_input.awk $(D)/results.tsv $(STATS) $(PTQS:.tsv=.layers.tsv) > $@.tmp && mv $@.tmp $@

$(F)/bkp/%.coef.tsv $(F)/bkp/%.curve.tsv $(F)/bkp/%.lomo.tsv: $(F)/bkp/input.tsv $(MTA) $(FITS_MK)
	@echo "fit bkp $* (x = $(call bkp_x,$*), profile $(PROFILE))"
	@$(call mta_fit,$< --x $(call bkp_x,$*) --y acc_loss --family rational --degree $(call bkp_d,$*) \
	  --monotone --seed $(SEED) --by model --out $(F)/bkp/$*)

$(F)/bkp/summary.tsv: $(BKP_FITS:%=$(F)/bkp/%.coef.tsv) $(AWK_DIR)/fitsum.awk
	awk -v mode=summary -v key=variant -v names="$(BKP_FITS)" \
	  -v xs="$(foreach v,$(BKP_FITS),$(call bkp_x,$(v)))" -f $(AWK_DIR)/fitsum.awk \
	  $(BKP_FITS:%=$(F)/bkp/%.coef.tsv) > $@.tmp && mv $@.tmp $@

$(F)/bkp/r2.tsv: $(BKP_VARIANTS:%=$(F)/bkp/%.coef.tsv) $(AWK_DIR)/fitsum.awk
	awk -v mode=wide -v stat=r2 -v names="$(BKP_VARIANTS)" -f $(AWK_DIR)/fitsum.awk \
	  $(BKP_VARIANTS:%=$(F)/bkp/%.coef.tsv) > $@.tmp && mv $@.tmp $@

$(F) $(F)/pred $(F)/pred/logpoly $(F)/bkp $(SEL) $(SS) $(D)/noise $(D)/gradsim $(D)/samples:
	mkdir -p $@
