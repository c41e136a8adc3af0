# plots.mk -- the figures (included by the Makefile after experiments/fits.mk).  Each figure is
# drawn by one gnuplot script of plots/ from TSV tables, as PNG (pngcairo) and SVG, into
# build/<profile>/fig/ (generated, not committed: the reports embed them; the README's and
# fit_bkp.md's PNG/SVG copies live in reports/<profile>/fig/).  Colours and point types per
# model: plots/palette.gp; terminal, sizes and helpers: plots/common.gp.
#
#   heatmap                           acc_loss of every model in every configuration, printed
#   acc_bits                          accuracy vs bits per scheme, ± 1 standard error
#   models_flops[_logx], models_param[_logx]   every model's own fit, a panel per model
#   pooled_<v>                        all models, acc_loss vs the x of fit variant v, one curve
#   pooled_flops_logx                 the same for js_flops on a log x axis
#   lomo_scatter                      predicted vs observed acc_loss, leave one model out
#   nested_scatter                    the same under nested LOMO, a panel per tier, format markers
#   sample_size                       label-free predictors' RMSE against the number of unlabelled images
#   layer_sqnr                        the noise model per layer: predicted vs measured output SQNR
#   fp_acc, train_curves              full-precision accuracy; validation accuracy per epoch
#   predictors                        LOMO RMSE of every similarity metric vs the baseline
#   bkp_<v>                           pooled figures of the fit_bkp.md variants (log x)
#   robust_configs                    clean/FGSM/PGD accuracy per configuration, test and pseudo, a panel per model
#   robust_transfer                   test-set vs pseudo-set accuracy, clean and PGD, pooled line
#   ptq_gen                           data-free PTQ: generated- vs real-data calibration
#   pca, adv_images                   PCA of penultimate features (test / plain / adjusted); adversarial examples
#   lm_flops, lm_param                the language model: ppl_ratio vs js_flops / js_param per format, pooled fit

FIG     := $(B)/fig
FIG_EXT := png svg
GP_LIB  := plots/common.gp plots/palette.gp
# the report's computed tables (reports/reports.mk makes them)
RTAB    := $(D)/report

FIG_NAMES := heatmap acc_bits $(foreach v,flops param,models_$(v) models_$(v)_logx) \
             $(FIT_VARIANTS:%=pooled_%) pooled_flops_logx lomo_scatter nested_scatter sample_size layer_sqnr \
             fp_acc train_curves predictors $(BKP_FITS:%=bkp_%) robust_configs robust_transfer ptq_gen pca adv_images \
             $(if $(LM_MODEL),$(LM_FITS:%=lm_%))
FIGS := $(foreach e,$(FIG_EXT),$(FIG_NAMES:%=$(FIG)/%.$(e)))

.PHONY: figures
figures: $(FIGS) ## every figure of the profile (build/<profile>/fig, PNG and SVG)

# gnuplot SCRIPT with the variable assignments VARS; fmt from the target's extension, written
# to a temporary file of this target and renamed.
gnuplot_run = gnuplot -e "fmt='$(patsubst .%,%,$(suffix $@))'; out='$@.tmp'; $(2)" $(1) && mv $@.tmp $@

$(filter $(FIG)/heatmap.%,$(FIGS)): $(FIG)/heatmap.%: plots/heatmap.gp $(GP_LIB) $(RTAB)/acc.tsv | $(FIG)
	$(call gnuplot_run,plots/heatmap.gp,data='$(RTAB)/acc.tsv')

$(filter $(FIG)/acc_bits.%,$(FIGS)): $(FIG)/acc_bits.%: plots/acc_bits.gp $(GP_LIB) $(RTAB)/acc_bits.tsv | $(FIG)
	$(call gnuplot_run,plots/acc_bits.gp,data='$(RTAB)/acc_bits.tsv')

# models_<v>[_logx].<ext>: v = flops or param (a fit variant of experiments/fits.mk)
models_variant = $(patsubst %_logx,%,$(basename $(1)))
$(filter $(FIG)/models_%,$(FIGS)): $(FIG)/models_%: plots/models_fit.gp $(GP_LIB) $(D)/results.tsv \
		$(F)/flops.coef.tsv $(F)/flops.curve.tsv $(F)/param.coef.tsv $(F)/param.curve.tsv | $(FIG)
	$(call gnuplot_run,plots/models_fit.gp,data='$(D)/results.tsv'; models='$(MODELS)'; \
	  xcol='$(FIT_X_$(call models_variant,$*))'; fit='$(F)/$(call models_variant,$*)'; \
	  logx=$(if $(filter %_logx,$(basename $*)),1,0))

# pooled_<v>[_logx].<ext>: v = a fit variant of experiments/fits.mk
pooled_variant = $(patsubst %_logx,%,$(basename $(1)))
$(filter $(FIG)/pooled_%,$(FIGS)): $(FIG)/pooled_%: plots/pooled.gp $(GP_LIB) $(D)/results.tsv \
		$(FIT_VARIANTS:%=$(F)/%.coef.tsv) $(FIT_VARIANTS:%=$(F)/%.curve.tsv) | $(FIG)
	$(call gnuplot_run,plots/pooled.gp,data='$(D)/results.tsv'; models='$(MODELS)'; \
	  xcol='$(FIT_X_$(call pooled_variant,$*))'; fit='$(F)/$(call pooled_variant,$*)'; \
	  logx=$(if $(filter %_logx,$(basename $*)),1,0))

# the fit_bkp variants span many decades of x (the MSE ones ~1e-9..1e2): log x, or the points
# collapse onto the y axis
$(filter $(FIG)/bkp_%,$(FIGS)): $(FIG)/bkp_%: plots/pooled.gp $(GP_LIB) $(F)/bkp/input.tsv \
		$(BKP_FITS:%=$(F)/bkp/%.coef.tsv) $(BKP_FITS:%=$(F)/bkp/%.curve.tsv) | $(FIG)
	$(call gnuplot_run,plots/pooled.gp,data='$(F)/bkp/input.tsv'; models='$(MODELS)'; \
	  xcol='$(call bkp_x,$(basename $*))'; fit='$(F)/bkp/$(basename $*)'; logx=1)

$(filter $(FIG)/nested_scatter.%,$(FIGS)): $(FIG)/nested_scatter.%: plots/nested_scatter.gp $(GP_LIB) $(RTAB)/nested_scatter.tsv | $(FIG)
	$(call gnuplot_run,plots/nested_scatter.gp,data='$(RTAB)/nested_scatter.tsv')

$(filter $(FIG)/sample_size.%,$(FIGS)): $(FIG)/sample_size.%: plots/sample_size.gp $(GP_LIB) $(SS)/summary.tsv $(F)/noise.tsv \
		$(SEL)/lomo.nested.tsv | $(FIG)
	$(call gnuplot_run,plots/sample_size.gp,data='$(SS)/summary.tsv'; ncal=$$(( $(CALIB_BATCHES) * $(or $(PTQ_BATCH),128) )); \
	  floor=$$(awk -F '\t' '$$1 == "ALL" { print $$4 }' $(F)/noise.tsv); \
	  sweep=$$(awk -F '\t' '$$1 == "label-free" && $$2 == "curve" { print $$3 }' $(SEL)/lomo.nested.tsv))

$(filter $(FIG)/layer_sqnr.%,$(FIGS)): $(FIG)/layer_sqnr.%: plots/layer_sqnr.gp $(GP_LIB) $(RTAB)/layer_sqnr.tsv \
		$(RTAB)/layer_sqnr_summary.tsv | $(FIG)
	$(call gnuplot_run,plots/layer_sqnr.gp,data='$(RTAB)/layer_sqnr.tsv'; summary='$(RTAB)/layer_sqnr_summary.tsv')

$(filter $(FIG)/lomo_scatter.%,$(FIGS)): $(FIG)/lomo_scatter.%: plots/lomo_scatter.gp $(GP_LIB) $(RTAB)/lomo_scatter.tsv | $(FIG)
	$(call gnuplot_run,plots/lomo_scatter.gp,data='$(RTAB)/lomo_scatter.tsv')

$(filter $(FIG)/fp_acc.%,$(FIGS)): $(FIG)/fp_acc.%: plots/fp_acc.gp $(GP_LIB) $(D)/train_summary.tsv | $(FIG)
	$(call gnuplot_run,plots/fp_acc.gp,data='$(D)/train_summary.tsv')

$(filter $(FIG)/train_curves.%,$(FIGS)): $(FIG)/train_curves.%: plots/train_curves.gp $(GP_LIB) $(TRAIN_LOGS) $(D)/train_summary.tsv | $(FIG)
	$(call gnuplot_run,plots/train_curves.gp,dir='$(D)/train'; models='$(MODELS)'; summary='$(D)/train_summary.tsv')

$(filter $(FIG)/predictors.%,$(FIGS)): $(FIG)/predictors.%: plots/predictors.gp $(GP_LIB) $(RTAB)/predictors.tsv | $(FIG)
	$(call gnuplot_run,plots/predictors.gp,data='$(RTAB)/predictors.tsv')

$(filter $(FIG)/robust_configs.%,$(FIGS)): $(FIG)/robust_configs.%: plots/robust_configs.gp $(GP_LIB) $(RTAB)/robust_plot.tsv | $(FIG)
	$(call gnuplot_run,plots/robust_configs.gp,data='$(RTAB)/robust_plot.tsv'; models='$(MODELS)')

$(filter $(FIG)/robust_transfer.%,$(FIGS)): $(FIG)/robust_transfer.%: plots/robust_transfer.gp $(GP_LIB) $(RF)/input.tsv \
		$(RF)/org_abs.coef.tsv $(RF)/pgd_abs.coef.tsv | $(FIG)
	$(call gnuplot_run,plots/robust_transfer.gp,data='$(RF)/input.tsv'; fit='$(RF)'; models='$(MODELS)')

$(filter $(FIG)/ptq_gen.%,$(FIGS)): $(FIG)/ptq_gen.%: plots/ptq_gen.gp $(GP_LIB) $(D)/ptq_gen.tsv | $(FIG)
	$(call gnuplot_run,plots/ptq_gen.gp,data='$(D)/ptq_gen.tsv'; models='$(MODELS)')

$(filter $(FIG)/pca.%,$(FIGS)): $(FIG)/pca.%: plots/pca.gp $(GP_LIB) $(PCA_TSV) | $(FIG)
	$(call gnuplot_run,plots/pca.gp,data='$(PCA_TSV)'; settings='$(PCA_TSV:.tsv=.settings.tsv)')

CLASS_NAMES := $(if $(filter fmnist,$(DATA)),T-shirt/top Trouser Pullover Dress Coat Sandal Shirt Sneaker Bag Ankle_boot,\
  $(if $(filter cifar10:%,$(DATA)),airplane automobile bird cat deer dog frog horse ship truck))
$(filter $(FIG)/adv_images.%,$(FIGS)): $(FIG)/adv_images.%: plots/adv_images.gp $(GP_LIB) $(ADV_TSV) | $(FIG)
	$(call gnuplot_run,plots/adv_images.gp,data='$(ADV_TSV)'; names='$(CLASS_NAMES)'; eps=8.0/255; model='$(PCA_MODEL)')

$(FIG):
	mkdir -p $@

# the language model (experiments/lm.mk): ppl_ratio on a log axis against the fit variant's x
$(filter $(FIG)/lm_%,$(FIGS)): $(FIG)/lm_%: plots/lm.gp $(GP_LIB) $(LMD)/ptq.tsv $(LMD)/fit_flops.coef.tsv \
  $(LMD)/fit_param.coef.tsv | $(FIG)
	$(call gnuplot_run,plots/lm.gp,data='$(LMD)/ptq.tsv'; xcol='$(LM_FIT_X_$(basename $*))'; \
	  fit='$(LMD)/fit_$(basename $*)'; logy=1)
