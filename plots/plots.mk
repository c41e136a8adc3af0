# plots.mk -- the figures (included by the Makefile after experiments/fits.mk).  Each figure is
# drawn by one gnuplot script of plots/ from TSV tables, as PNG (pngcairo) and SVG, into
# build/<profile>/fig/ (generated, not committed: the reports embed them).  Colours and point
# types per model: plots/palette.gp; terminal and helpers: plots/common.gp.
#
#   flops_<Model>, param_<Model>      one model, acc_loss vs js_flops / js_param, fitted curve
#   pooled_<v>                        all models, acc_loss vs the x of fit variant v, one curve
#   pooled_flops_logx                 the same for js_flops on a log x axis
#   fp_acc, train_curves              full-precision accuracy; validation accuracy per epoch
#   predictors                        LOMO RMSE of every similarity metric vs the baseline
#   bkp_<v>                           pooled figures of the fit_bkp.md variants

FIG     := $(B)/fig
FIG_EXT := png svg
GP_LIB  := plots/common.gp plots/palette.gp

FIG_NAMES := $(MODELS:%=flops_%) $(MODELS:%=param_%) $(FIT_VARIANTS:%=pooled_%) pooled_flops_logx \
             fp_acc train_curves predictors $(BKP_FITS:%=bkp_%)
FIGS := $(foreach e,$(FIG_EXT),$(FIG_NAMES:%=$(FIG)/%.$(e)))

.PHONY: figures
figures: $(FIGS) ## every figure of the profile (build/<profile>/fig, PNG and SVG)

# gnuplot SCRIPT with the variable assignments VARS; fmt from the target's extension, written
# to a temporary file of this target and renamed.
gnuplot_run = gnuplot -e "fmt='$(patsubst .%,%,$(suffix $@))'; out='$@.tmp'; $(2)" $(1) && mv $@.tmp $@

$(filter $(FIG)/flops_%,$(FIGS)): $(FIG)/flops_%: plots/model_fit.gp $(GP_LIB) $(D)/results.tsv \
		$(F)/flops.coef.tsv $(F)/flops.curve.tsv | $(FIG)
	$(call gnuplot_run,plots/model_fit.gp,data='$(D)/results.tsv'; model='$(basename $*)'; xcol='js_flops'; fit='$(F)/flops')

$(filter $(FIG)/param_%,$(FIGS)): $(FIG)/param_%: plots/model_fit.gp $(GP_LIB) $(D)/results.tsv \
		$(F)/param.coef.tsv $(F)/param.curve.tsv | $(FIG)
	$(call gnuplot_run,plots/model_fit.gp,data='$(D)/results.tsv'; model='$(basename $*)'; xcol='js_param'; fit='$(F)/param')

# pooled_<v>[_logx].<ext>: v = a fit variant of experiments/fits.mk
pooled_variant = $(patsubst %_logx,%,$(basename $(1)))
$(filter $(FIG)/pooled_%,$(FIGS)): $(FIG)/pooled_%: plots/pooled.gp $(GP_LIB) $(D)/results.tsv \
		$(FIT_VARIANTS:%=$(F)/%.coef.tsv) $(FIT_VARIANTS:%=$(F)/%.curve.tsv) | $(FIG)
	$(call gnuplot_run,plots/pooled.gp,data='$(D)/results.tsv'; models='$(MODELS)'; \
	  xcol='$(FIT_X_$(call pooled_variant,$*))'; fit='$(F)/$(call pooled_variant,$*)'; \
	  logx=$(if $(filter %_logx,$(basename $*)),1,0))

$(filter $(FIG)/bkp_%,$(FIGS)): $(FIG)/bkp_%: plots/pooled.gp $(GP_LIB) $(F)/bkp/input.tsv \
		$(BKP_FITS:%=$(F)/bkp/%.coef.tsv) $(BKP_FITS:%=$(F)/bkp/%.curve.tsv) | $(FIG)
	$(call gnuplot_run,plots/pooled.gp,data='$(F)/bkp/input.tsv'; models='$(MODELS)'; \
	  xcol='$(call bkp_x,$(basename $*))'; fit='$(F)/bkp/$(basename $*)'; logx=0)

$(filter $(FIG)/fp_acc.%,$(FIGS)): $(FIG)/fp_acc.%: plots/fp_acc.gp $(GP_LIB) $(D)/train_summary.tsv | $(FIG)
	$(call gnuplot_run,plots/fp_acc.gp,data='$(D)/train_summary.tsv')

$(filter $(FIG)/train_curves.%,$(FIGS)): $(FIG)/train_curves.%: plots/train_curves.gp $(GP_LIB) $(TRAIN_LOGS) | $(FIG)
	$(call gnuplot_run,plots/train_curves.gp,dir='$(D)/train'; models='$(MODELS)')

$(filter $(FIG)/predictors.%,$(FIGS)): $(FIG)/predictors.%: plots/predictors.gp $(GP_LIB) $(F)/predictors.tsv | $(FIG)
	$(call gnuplot_run,plots/predictors.gp,data='$(F)/predictors.tsv')

$(FIG):
	mkdir -p $@
