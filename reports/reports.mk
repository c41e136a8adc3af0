# reports.mk -- the literate reports and the table diff (included by the Makefile after
# plots/plots.mk).  pandoc turns the report sources of reports/ into self-contained HTML; the
# Lua filter reports/tsv.lua fills every table and number from the TSVs, so no result is typed
# by hand.  Outputs of profile P:
#   reports/P/main.html       the study: training, PTQ, fits, LOMO, predictors, timing, figures
#   reports/P/fit_bkp.html    the archived fitting variants (same content as fit_bkp.md)
#   fit_bkp.md                (default profile; reports/P/fit_bkp.md for the others) the same as
#                             GitHub markdown, its figures copied to reports/P/fig/*.png
#   data/P/report/*.tsv       the tables computed for the report (timing, PTQ accuracy, settings)
# reports/default/ is committed (the HTML is self-contained); reports/<other>/ is not.

R       := reports/$(PROFILE)
RD      := $(D)/report
REPORTS_MK := reports/reports.mk
FIT_BKP_MD := $(if $(filter default,$(PROFILE)),fit_bkp.md,$(R)/fit_bkp.md)
# where fit_bkp.md finds its figures, relative to its own folder
BKP_IMG_DIR := $(if $(filter default,$(PROFILE)),$(R)/fig,fig)

REPORT_TABLES := $(D)/train_summary.tsv $(D)/results.tsv $(RD)/timing.tsv $(RD)/ptq_acc.tsv \
                 $(RD)/settings.tsv $(FIT_TABLES) $(PRED_TABLES) $(F)/bkp/summary.tsv $(F)/bkp/input.tsv \
                 reports/reference.tsv data/default/kernels.tsv
BKP_TABLES_R  := $(F)/bkp/input.tsv $(F)/bkp/summary.tsv $(F)/bkp/r2.tsv $(BKP_FITS:%=$(F)/bkp/%.coef.tsv)
MAIN_FIGS := $(filter-out $(FIG)/bkp_%,$(filter %.svg,$(FIGS)))
BKP_FIGS  := $(BKP_FITS:%=$(FIG)/bkp_%.svg)
BKP_PNGS  := $(BKP_FITS:%=$(R)/fig/bkp_%.png)

# pandoc >= 2.19 spells --self-contained as --embed-resources --standalone
PANDOC_EMBED = $(shell pandoc --version | awk 'NR == 1 { split($$2, v, "."); \
  print (v[1] > 2 || (v[1] == 2 && v[2] >= 19)) ? "--embed-resources --standalone" : "--self-contained" }')
PANDOC_META = -M D=$(D) -M F=$(F) -M RD=$(RD) -M profile=$(PROFILE) -M MODELS="$(MODELS)" \
  -M seed=$(SEED) -M nmodels=$(words $(MODELS))
PANDOC_HTML = pandoc --from markdown --to html5 --lua-filter reports/tsv.lua $(PANDOC_EMBED) \
  --css reports/style.css --toc --toc-depth 2 $(PANDOC_META)

.PHONY: reports diff clean-reports
reports: $(R)/main.html $(R)/fit_bkp.html $(FIT_BKP_MD) ## the HTML reports of the profile and fit_bkp.md

$(R)/main.html: reports/main.md reports/tsv.lua reports/style.css $(REPORT_TABLES) $(MAIN_FIGS) | $(R)
	@echo "report $@"
	$(PANDOC_HTML) -M FIG=$(FIG) -M EXT=svg -M bkp_link=$(if $(filter default,$(PROFILE)),../../fit_bkp.md,fit_bkp.html) \
	  -M title="mta: results of profile $(PROFILE)" $< -o $@.tmp && mv $@.tmp $@

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

# --- tables computed for the report ----------------------------------------------------------

$(RD)/timing.tsv: $(D)/train_summary.tsv $(D)/results.tsv reports/timing.awk | $(RD)
	awk -f reports/timing.awk $(D)/train_summary.tsv $(D)/results.tsv > $@.tmp && mv $@.tmp $@

$(RD)/ptq_acc.tsv: $(D)/results.tsv reports/ptq_acc.awk | $(RD)
	awk -f reports/ptq_acc.awk $< > $@.tmp && mv $@.tmp $@

# the profile's settings as the stages used them: every variable that
# experiments/profiles/<profile>.mk assigns, with its value as make expanded it, then the
# environment the numbers depend on (`mta env`: version, compiler, BLAS library and kernel,
# threads; make diff prints these but does not count them as changes)
PROFILE_VARS = $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*[:?+]*=.*/\1/p' $(PROFILE_MK))
$(RD)/settings.tsv: $(PROFILE_MK) $(REPORTS_MK) $(MTA) | $(RD)
	{ printf '%s\t%s\n' setting value PROFILE '$(PROFILE)' $(foreach v,$(PROFILE_VARS),$(v) '$(strip $($(v)))'); \
	  $(MTA) env --threads $(THREADS) | tail -n +2; } > $@.tmp && mv $@.tmp $@

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
	rm -rf $(filter-out reports/default/,$(wildcard reports/*/))

clean: clean-reports
