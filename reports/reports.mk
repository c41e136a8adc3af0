# reports.mk -- the literate reports, the README's results and the table diff (included by the
# Makefile after plots/plots.mk).  pandoc turns the report sources of reports/ into
# self-contained HTML; the Lua filter reports/tsv.lua fills every table, number and verdict
# sentence from the TSVs, so no result in a report is typed by hand.  Outputs of profile P:
#   reports/P/main.html       the study: the answer first, then training, PTQ, fits, LOMO,
#                             predictors, timing, across runs, the diff of the committed tables
#   reports/P/fit_bkp.html    the archived fitting variants (same content as fit_bkp.md)
#   fit_bkp.md                (default profile; reports/P/fit_bkp.md for the others) the same as
#                             GitHub markdown, its figures copied to reports/P/fig/*.png
#   README.md                 (default profile) its results section, between the markers
#                             <!-- results:begin --> and <!-- results:end -->, from reports/readme.md
#   reports/runs/P.tsv        the run's headline numbers, for the across-runs table (committed
#                             for the default and quick profiles)
#   data/P/report/*.tsv       the tables computed for the report (accuracy with standard
#                             errors, verdicts, ranked predictors, timing, settings, ...)
#   reports/P/diff_versions*.tsv  the diff appendix (kept out of data/P, so that committing it
#                             does not make a new version of data/P)
# reports/default/ is committed (the HTML is self-contained); reports/<other>/ is not.

R       := reports/$(PROFILE)
RD      := $(D)/report
REPORTS_MK := reports/reports.mk
FIT_BKP_MD := $(if $(filter default,$(PROFILE)),fit_bkp.md,$(R)/fit_bkp.md)
# where fit_bkp.md finds its figures, relative to its own folder
BKP_IMG_DIR := $(if $(filter default,$(PROFILE)),$(R)/fig,fig)

REPORT_TABLES := $(D)/train_summary.tsv $(D)/results.tsv $(RD)/fp.tsv $(RD)/timing.tsv $(RD)/ptq_acc.tsv $(RD)/acc.tsv \
                 $(RD)/settings.tsv $(RD)/verdicts_acc.tsv $(RD)/verdicts_fit.tsv $(RD)/predictors.tsv \
                 $(RD)/runs.tsv $(R)/diff_versions.tsv $(R)/diff_versions_meta.tsv $(FIT_TABLES) $(PRED_TABLES) $(F)/bkp/summary.tsv \
                 $(F)/bkp/input.tsv reports/reference.tsv data/default/kernels.tsv \
                 $(D)/gen_summary.tsv $(D)/robust.tsv $(D)/ptq_gen.tsv $(RD)/verdicts_robust.tsv $(RD)/ptq_gen_models.tsv $(D)/robust_box.tsv \
                 $(ROBUST_FIT_TABLES) $(SEL_TABLES) $(RD)/verdicts_predict.tsv $(RD)/select_top.tsv \
                 $(SS_TABLES) $(RD)/verdicts_samples.tsv $(RD)/zoos.tsv $(RD)/verdicts_zoos.tsv $(RD)/layer_sqnr_summary.tsv \
                 $(if $(LM_MODEL),$(LM_TABLES) reports/reference_lm_setup.tsv)
BKP_TABLES_R  := $(F)/bkp/input.tsv $(F)/bkp/summary.tsv $(F)/bkp/r2.tsv $(BKP_FITS:%=$(F)/bkp/%.coef.tsv) \
                 $(RD)/verdicts_fit.tsv
MAIN_FIGS := $(filter-out $(FIG)/bkp_%,$(filter %.svg,$(FIGS)))
BKP_FIGS  := $(BKP_FITS:%=$(FIG)/bkp_%.svg)
BKP_PNGS  := $(BKP_FITS:%=$(R)/fig/bkp_%.png)
METHOD_PAGES := $(patsubst experiments/%.md,$(R)/%.html,$(wildcard experiments/*.md))
# the figures of the README's results section (default profile), committed
README_FIGS := $(R)/fig/heatmap.png $(R)/fig/acc_bits.png $(R)/fig/pooled_flops.png $(if $(LM_MODEL),$(R)/fig/lm_flops.png)

# pandoc >= 2.19 spells --self-contained as --embed-resources --standalone
PANDOC_EMBED = $(shell pandoc --version | awk 'NR == 1 { split($$2, v, "."); \
  print (v[1] > 2 || (v[1] == 2 && v[2] >= 19)) ? "--embed-resources --standalone" : "--self-contained" }')
comma := ,
space := $(empty) $(empty)
PANDOC_META = -M D=$(D) -M F=$(F) -M RD=$(RD) -M R=$(R) -M RF=$(RF) -M first_model=$(firstword $(MODELS)) -M robust_min_full=$(ROBUST_MIN_FULL) -M profile=$(PROFILE) -M MODELS="$(MODELS)" \
  -M models_list="$(subst $(space),$(comma) ,$(strip $(MODELS)))" \
  -M seed=$(SEED) -M nmodels=$(words $(MODELS))
PANDOC_HTML = pandoc --from markdown --to html5 --lua-filter reports/tsv.lua $(PANDOC_EMBED) \
  --css reports/style.css --toc --toc-depth 2 $(PANDOC_META)

.PHONY: reports readme diff clean-reports
reports: $(R)/main.html $(R)/fit_bkp.html $(METHOD_PAGES) $(FIT_BKP_MD) reports/runs/$(PROFILE).tsv $(if $(filter default,$(PROFILE)),readme) ## the HTML reports of the profile, fit_bkp.md (default: and the README's results)

$(R)/main.html: reports/main.md reports/tsv.lua reports/style.css $(REPORT_TABLES) $(MAIN_FIGS) | $(R)
	@echo "report $@"
	$(PANDOC_HTML) -M FIG=$(FIG) -M EXT=svg -M bkp_link=fit_bkp.html \
	  -M title="mta: results of profile $(PROFILE)" $< -o $@.tmp && mv $@.tmp $@

# the method pages, as HTML next to the report (its links point at them)
$(METHOD_PAGES): $(R)/%.html: experiments/%.md reports/style.css | $(R)
	pandoc --from markdown --to html5 $(PANDOC_EMBED) --css reports/style.css \
	  -M pagetitle="mta: $* (method)" $< -o $@.tmp && mv $@.tmp $@

$(R)/fit_bkp.html: reports/fit_bkp.md reports/tsv.lua reports/style.css $(BKP_TABLES_R) $(BKP_FIGS) | $(R)
	@echo "report $@"
	$(PANDOC_HTML) -M FIG=$(FIG) -M EXT=svg -M pagetitle="mta: earlier fitting variants, profile $(PROFILE)" $< -o $@.tmp && mv $@.tmp $@

# GitHub markdown: pipe tables, plain images (no figure captions) that point at committed PNGs
$(FIT_BKP_MD): reports/fit_bkp.md reports/tsv.lua $(BKP_TABLES_R) $(BKP_PNGS)
	@echo "report $@"
	pandoc --from markdown-implicit_figures --to gfm --lua-filter reports/tsv.lua $(PANDOC_META) \
	  -M FIG=$(BKP_IMG_DIR) -M EXT=png -M base=$(patsubst %/,%,$(dir $@)) $< -o $@.tmp && mv $@.tmp $@

$(R)/fig/%.png: $(FIG)/%.png | $(R)/fig
	cp $< $@.tmp && mv $@.tmp $@

# README.md's results section (default profile only: the committed results): reports/readme.md
# rendered to GitHub markdown, put between the markers; the rest of the README is left as it is
README_BEGIN := <!-- results:begin -->
README_END   := <!-- results:end -->
ifeq ($(PROFILE),default)
readme: README.md
README.md: reports/readme.md reports/tsv.lua $(REPORT_TABLES) $(README_FIGS)
	@echo "report $@ (results section)"
	pandoc --from markdown-implicit_figures --to gfm --lua-filter reports/tsv.lua $(PANDOC_META) \
	  -M FIG=$(R)/fig -M EXT=png -M base=. --strip-comments reports/readme.md -o $@.results.tmp
	awk -v b='$(README_BEGIN)' -v e='$(README_END)' -v f='$@.results.tmp' \
	  '$$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; n++; next } $$0 == e { skip = 0 } !skip { print } \
	   END { if (n != 1) { print "README.md: expected one line " b > "/dev/stderr"; exit 2 } }' $@ > $@.tmp && \
	  rm -f $@.results.tmp && mv $@.tmp $@
else
readme:
	@echo "readme: the README shows the default profile's results only (PROFILE=default)" >&2; exit 2
endif

# --- tables computed for the report ----------------------------------------------------------

$(RD)/timing.tsv: $(D)/train_summary.tsv $(D)/results.tsv reports/timing.awk | $(RD)
	awk -f reports/timing.awk $(D)/train_summary.tsv $(D)/results.tsv > $@.tmp && mv $@.tmp $@

# every accuracy with its standard error (the settings files give the number of test images)
$(RD)/acc.tsv: $(D)/results.tsv $(PTQ_SETTINGS) reports/acc.awk | $(RD)
	awk -f reports/acc.awk $(D)/results.tsv $(PTQ_SETTINGS) > $@.tmp && mv $@.tmp $@

$(RD)/fp.tsv: $(D)/train_summary.tsv reports/fp.awk | $(RD)
	awk -f reports/fp.awk $< > $@.tmp && mv $@.tmp $@

$(RD)/ptq_acc.tsv: $(RD)/acc.tsv reports/ptq_acc.awk | $(RD)
	awk -f reports/ptq_acc.awk $< > $@.tmp && mv $@.tmp $@

$(RD)/acc_bits.tsv: $(RD)/acc.tsv reports/acc_bits.awk | $(RD)
	awk -f reports/acc_bits.awk $< > $@.tmp && mv $@.tmp $@

# the Security section's tables and sentences
$(RD)/robust_plot.tsv: $(D)/robust.tsv reports/robust_plot.awk | $(RD)
	awk -f reports/robust_plot.awk $< > $@.tmp && mv $@.tmp $@

$(RD)/verdicts_robust.tsv: $(D)/gen_summary.tsv $(D)/robust.tsv $(D)/robust/$(firstword $(MODELS)).settings.tsv $(RF)/summary.tsv $(D)/ptq_gen.tsv reports/verdicts_robust.awk | $(RD)
	awk -v box=$(ATTACK_BOX) -v classes=$$(awk -F '\t' '$$1 == "classes" { print $$2 }' $(D)/robust/$(firstword $(MODELS)).settings.tsv) \
	  -f reports/verdicts_robust.awk $(D)/gen_summary.tsv $(D)/robust.tsv $(RF)/summary.tsv \
	  $(D)/ptq_gen.tsv > $@.tmp && mv $@.tmp $@

$(RD)/ptq_gen_models.tsv: $(D)/ptq_gen.tsv reports/ptq_gen_models.awk | $(RD)
	awk -f reports/ptq_gen_models.awk $< > $@.tmp && mv $@.tmp $@

# the verdict sentences (VERDICT_TOL: the relative loss a format may cost and still count as
# keeping a model's accuracy; VERDICT_TARGET: the LOMO RMSE a deployment decision needs)
VERDICT_TOL    ?= 0.01
VERDICT_TARGET ?= 0.05
$(RD)/verdicts_acc.tsv: $(RD)/acc.tsv reports/verdicts_acc.awk $(REPORTS_MK) | $(RD)
	awk -v tol=$(VERDICT_TOL) -f reports/verdicts_acc.awk $< > $@.tmp && mv $@.tmp $@

VERDICT_FIT_IN := $(F)/variants.tsv $(F)/flops.coef.tsv $(F)/predictors.tsv $(F)/bkp/summary.tsv \
                  $(F)/bkp/input.tsv $(F)/pot.tsv
$(RD)/verdicts_fit.tsv: $(VERDICT_FIT_IN) reports/verdicts_fit.awk $(REPORTS_MK) | $(RD)
	awk -v target=$(VERDICT_TARGET) -f reports/verdicts_fit.awk $(VERDICT_FIT_IN) > $@.tmp && mv $@.tmp $@

$(RD)/verdicts_predict.tsv: $(SEL)/lomo.nested.tsv $(SEL)/lomo.candidates.tsv $(F)/noise.tsv reports/verdicts_predict.awk $(REPORTS_MK) | $(RD)
	awk -v target=$(VERDICT_TARGET) -v ratio=0.75 -f reports/verdicts_predict.awk $(SEL)/lomo.nested.tsv \
	  $(SEL)/lomo.candidates.tsv $(F)/noise.tsv > $@.tmp && mv $@.tmp $@

$(RD)/nested_scatter.tsv: $(SEL)/lomo.nested.tsv $(SEL)/lomo.pred.tsv reports/nested_scatter.awk | $(RD)
	awk -f reports/nested_scatter.awk $(SEL)/lomo.nested.tsv $(SEL)/lomo.pred.tsv > $@.tmp && mv $@.tmp $@

# the sample-size study's sentences
$(RD)/verdicts_samples.tsv: $(SS)/summary.tsv $(F)/noise.tsv $(SEL)/lomo.nested.tsv reports/verdicts_samples.awk | $(RD)
	awk -v ncal=$$(( $(CALIB_BATCHES) * $(or $(PTQ_BATCH),128) )) -f reports/verdicts_samples.awk $(SS)/summary.tsv \
	  $(F)/noise.tsv $(SEL)/lomo.nested.tsv > $@.tmp && mv $@.tmp $@

# the noise model per layer against the measurement, for the figure and its table
LAYER_SQNR_CONFIGS := INT_4 INT_8 POT_4 FLOAT_6_E3
$(RD)/layer_sqnr.tsv: $(NOISES) reports/layer_sqnr.awk | $(RD)
	awk -v mode=points -v configs="$(LAYER_SQNR_CONFIGS)" -f reports/layer_sqnr.awk $(NOISES:.tsv=.layers.tsv) > $@.tmp && mv $@.tmp $@
$(RD)/layer_sqnr_summary.tsv: $(NOISES) reports/layer_sqnr.awk | $(RD)
	awk -v mode=summary -v configs="INT_2 INT_3 INT_4 INT_5 INT_6 INT_8 INT_16 POT_4 POT_8 FLOAT_6_E3 FLOAT_8_E4" \
	  -f reports/layer_sqnr.awk $(NOISES:.tsv=.layers.tsv) > $@.tmp && mv $@.tmp $@

# the second zoo (profile setting REPLICATE: the same profile trained from another seed); its
# tables come from `make PROFILE=$(REPLICATE) zoo` (a stage of make reproduce)
ifneq ($(REPLICATE),)
REPL_SEL := data/$(REPLICATE)/fit/select
$(REPL_SEL)/lomo.nested.tsv $(REPL_SEL)/lomo.candidates.tsv &:
	$(MAKE) PROFILE=$(REPLICATE) zoo
$(RD)/zoos.tsv: $(SEL)/lomo.nested.tsv $(REPL_SEL)/lomo.nested.tsv reports/zoos.awk | $(RD)
	awk -v mode=table -v a=$(PROFILE) -v b=$(REPLICATE) -f reports/zoos.awk $(SEL)/lomo.nested.tsv \
	  $(REPL_SEL)/lomo.nested.tsv > $@.tmp && mv $@.tmp $@
$(RD)/verdicts_zoos.tsv: $(SEL)/lomo.nested.tsv $(REPL_SEL)/lomo.nested.tsv $(SEL)/lomo.candidates.tsv \
		$(REPL_SEL)/lomo.candidates.tsv reports/zoos.awk | $(RD)
	awk -v mode=verdicts -v a=$(PROFILE) -v b=$(REPLICATE) -f reports/zoos.awk $(SEL)/lomo.nested.tsv \
	  $(REPL_SEL)/lomo.nested.tsv $(SEL)/lomo.candidates.tsv $(REPL_SEL)/lomo.candidates.tsv > $@.tmp && mv $@.tmp $@
else
$(RD)/zoos.tsv: reports/zoos.awk | $(RD)
	awk -v mode=none -f reports/zoos.awk > $@.tmp && mv $@.tmp $@
$(RD)/verdicts_zoos.tsv: reports/zoos.awk | $(RD)
	awk -v mode=none_verdicts -f reports/zoos.awk > $@.tmp && mv $@.tmp $@
endif

# the best candidates of each tier for the report's table (then the reference and the baselines)
$(RD)/select_top.tsv: $(SEL)/lomo.candidates.tsv reports/select_top.awk | $(RD)
	awk -v top=5 -f reports/select_top.awk $< > $@.tmp && mv $@.tmp $@

# the predictors in the order of the report's table and bar chart: by tier, then LOMO RMSE
$(RD)/predictors.tsv: $(F)/predictors.tsv reports/rank.awk | $(RD)
	awk -f reports/rank.awk $< > $@.tmp && mv $@.tmp $@

$(RD)/lomo_scatter.tsv: $(F)/variants.tsv $(F)/predictors.tsv $(F)/flops.lomo.tsv \
		$(PRED_METRICS:%=$(F)/pred/%.lomo.tsv) reports/lomo_scatter.awk | $(RD)
	awk -f reports/lomo_scatter.awk $(F)/variants.tsv $(F)/predictors.tsv $(F)/flops.lomo.tsv \
	  $(PRED_METRICS:%=$(F)/pred/%.lomo.tsv) > $@.tmp && mv $@.tmp $@

# this run's headline numbers, kept (committed) under reports/runs/ so that every profile's
# report can put the runs side by side; rewritten only when they change
reports/runs/$(PROFILE).tsv: $(D)/train_summary.tsv $(F)/flops.coef.tsv reports/run_summary.awk
	@mkdir -p $(@D)
	awk -v profile=$(PROFILE) -f reports/run_summary.awk $(D)/train_summary.tsv $(F)/flops.coef.tsv > $@.tmp && \
	  if cmp -s $@.tmp $@; then rm -f $@.tmp; touch $@; else mv $@.tmp $@; fi
RUN_SUMMARIES = $(sort $(wildcard reports/runs/*.tsv) reports/runs/$(PROFILE).tsv)
$(RD)/runs.tsv: $(RUN_SUMMARIES) reports/reference.tsv reports/runs.awk | $(RD)
	awk -v first=$(PROFILE) -f reports/runs.awk $(RUN_SUMMARIES) reports/reference.tsv > $@.tmp && mv $@.tmp $@

# `make diff` of the last two versions of data/<profile> (tools/diff_versions.sh: this run's
# uncommitted tables against the last commit, else the last two commits); the stamp holds the
# revisions, so the text is redone when a new version is committed
DIFF_REVS := $(shell git log -n 2 --format=%h -- $(D) 2>/dev/null | tr '\n' ' ')
$(call args_stamp,diff_revs,$(DIFF_REVS))
$(R)/diff_versions.tsv $(R)/diff_versions_meta.tsv &: $(B)/args/diff_revs tools/diff_versions.sh tools/tsvdiff \
		$(D)/results.tsv $(D)/train_summary.tsv $(FIT_TABLES) $(PRED_TABLES) $(RD)/settings.tsv | $(RD)
	tools/diff_versions.sh $(D) $(R)/diff_versions.tsv $(R)/diff_versions_meta.tsv

# the profile's settings as the stages used them: every variable that
# experiments/profiles/<profile>.mk assigns, with its value as make expanded it, then the
# environment the numbers depend on (`mta env`: version, compiler, BLAS library and kernel,
# threads; make diff prints these but does not count them as changes)
PROFILE_VARS = $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*[:?+]*=.*/\1/p' $(PROFILE_MK))
$(RD)/settings.tsv: $(PROFILE_MK) $(REPORTS_MK) $(MTA) | $(RD)
	{ printf '%s\t%s\n' setting value PROFILE '$(PROFILE)' $(foreach v,$(PROFILE_VARS),$(v) '$(strip $($(v)))'); \
	  $(MTA) env --threads $(THREADS) | tail -n +2; } > $@.tmp && mv $@.tmp $@

$(B)/args/diff_revs: | $(B)/args
	@printf '%s\n' '$(strip $(DIFF_REVS))' > $@

$(R) $(R)/fig $(RD):
	mkdir -p $@

# --- make diff OLD=<git revision or directory> [NEW=<directory>] [DIFF_TOL=1e-9] -------------
# Compares every TSV present in both trees (tools/tsvdiff); OLD as a git revision means its
# data/$(PROFILE).  Exit status 1 when something changed beyond the tolerance.

NEW      ?= $(D)
DIFF_TOL ?= 1e-9
DIFF_ATOL ?= 0
DIFF_MAX ?= 20
# columns left out of the comparison (comma-separated), e.g. DIFF_IGNORE=seconds
DIFF_IGNORE ?=
DIFF_FLAGS = -r $(DIFF_TOL) -a $(DIFF_ATOL) -m $(DIFF_MAX) $(if $(DIFF_IGNORE),-i $(DIFF_IGNORE))

diff: ## compare the TSVs: make diff OLD=<git rev|dir> [NEW=dir] [DIFF_TOL=1e-9] [DIFF_ATOL=0] [DIFF_MAX=20] [DIFF_IGNORE=seconds]
	@if [ -z "$(OLD)" ]; then echo "usage: make diff OLD=<git revision or directory> [NEW=<directory>] [DIFF_TOL=$(DIFF_TOL)]" >&2; exit 2; fi; \
	if [ -e "$(OLD)" ]; then tools/tsvdiff $(DIFF_FLAGS) "$(OLD)" "$(NEW)"; exit $$?; fi; \
	git rev-parse --verify --quiet "$(OLD)^{commit}" >/dev/null || { echo "diff: '$(OLD)' is neither a directory nor a git revision" >&2; exit 2; }; \
	tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/mta-diff.XXXXXX") || exit 2; trap 'rm -rf "$$tmp"' EXIT; \
	git archive --format=tar "$(OLD)" -- "$(D)" 2>/dev/null | tar -x -C "$$tmp" 2>/dev/null; \
	if [ ! -d "$$tmp/$(D)" ]; then echo "diff: revision $(OLD) has no $(D)" >&2; exit 2; fi; \
	echo "old: $(OLD):$(D)"; tools/tsvdiff $(DIFF_FLAGS) "$$tmp/$(D)" "$(NEW)"

# outputs of the non-default profiles (reports/default/ is committed)
clean-reports: ## remove the generated reports of the non-default profiles
	rm -rf $(filter-out reports/default/ reports/runs/,$(wildcard reports/*/))

clean: clean-reports
