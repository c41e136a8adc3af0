# lm.mk — the language-model study (experiments/language_model.md, issue 14; spec §5): train
# the reference's two-LSTM word model on the profile's corpus, sweep it in the 43
# configurations (fake quantization, perplexity ratio), fit ppl_ratio against js_flops and
# js_param with the reference's rational recipe, per format and pooled with
# leave-one-format-out.  Included by the Makefile after fits.mk; every setting is LM_* in the
# profile (no LM_MODEL: no study).  Outputs of profile P:
#   build/P/lm/<LM_MODEL>.safetensors   the best checkpoint (by validation perplexity)
#   data/P/lm/train.tsv                 per epoch: lr, train/valid loss and perplexity, seconds
#   data/P/lm/summary.tsv               corpus statistics, model size, time, perplexities, unigram
#   data/P/lm/stats.tsv                 parameters and MACs per token of every layer
#   data/P/lm/ptq.tsv                   the sweep: full_ppl, ptq_ppl, ppl_ratio, js_flops, js_param
#   data/P/lm/fit_flops.*, fit_param.*  mta fit --by quant: INT, POT, FLOAT and ALL (LOMO = leave
#                                       one format out)
#   data/P/lm/table.tsv, verdicts.tsv   the report's sweep table (next to the reference's PTB
#                                       numbers) and its generated sentences
ifneq ($(LM_MODEL),)
LMD     := $(D)/lm
LMB     := $(B)/lm
LM_CKPT := $(LMB)/$(LM_MODEL).safetensors
LM_MK   := experiments/lm.mk
LM_FITS := flops param
LM_FIT_X_flops := js_flops
LM_FIT_X_param := js_param
# the reference refits until the curve is non-decreasing on a grid of step 5 (flops_lstm.m)
LM_FIT_H ?= 5
LM_TABLES := $(LMD)/train.tsv $(LMD)/summary.tsv $(LMD)/stats.tsv $(LMD)/ptq.tsv \
             $(LM_FITS:%=$(LMD)/fit_%.coef.tsv) $(LM_FITS:%=$(LMD)/fit_%.curve.tsv) $(LMD)/table.tsv $(LMD)/verdicts.tsv

lm_train_args = --data $(LM_DATA) --vocab $(LM_VOCAB) --embed $(LM_EMBED) --hidden $(LM_HIDDEN) \
  --dropout $(LM_DROPOUT) --epochs $(LM_EPOCHS) --lr $(LM_LR) --clip $(LM_CLIP) --bptt $(LM_BPTT) \
  --batch $(LM_BATCH) --eval-batch $(LM_EVAL_BATCH) --train-tokens $(LM_TRAIN_TOKENS) --seed $(LM_SEED) \
  --threads $(LM_THREADS)
lm_ptq_args = --data $(LM_DATA) --configs $(LM_CONFIGS) --eval-batch $(LM_EVAL_BATCH) --bptt $(LM_BPTT) \
  --threads $(LM_THREADS)
$(call args_stamp,lm.train,$(lm_train_args))$(call args_stamp,lm.ptq,$(lm_ptq_args))

.PHONY: lm
lm: $(LM_TABLES) ## the language-model study of the profile (data/<profile>/lm)

$(LM_CKPT) $(LMD)/train.tsv $(LMD)/summary.tsv &: experiments/models/$(LM_MODEL).model $(B)/args/lm.train | $(MTA) $(LMB) $(LMD)
	@echo "lm-train $(LM_MODEL) (profile $(PROFILE), embed $(LM_EMBED), hidden $(LM_HIDDEN), vocab $(LM_VOCAB))"
	$(MTA) lm-train $(LM_MODEL) $(lm_train_args) --out $(LM_CKPT) --log $(LMD)/train.tsv --summary $(LMD)/summary.tsv \
	  --quiet > /dev/null

$(LMD)/stats.tsv: $(LM_CKPT) $(MTA) | $(LMD)
	$(MTA) stats $(LM_CKPT) --out $@

$(LMD)/ptq.tsv: $(LM_CKPT) $(B)/args/lm.ptq $(MTA) | $(LMD)
	@echo "ptq $(LM_MODEL) (profile $(PROFILE))"
	$(MTA) ptq $(LM_CKPT) $(lm_ptq_args) --quiet --out $@

$(LMD)/fit_%.coef.tsv $(LMD)/fit_%.curve.tsv $(LMD)/fit_%.lomo.tsv &: $(LMD)/ptq.tsv $(MTA) $(LM_MK)
	@$(call mta_fit,$< --x $(LM_FIT_X_$*) --y ppl_ratio $(FIT_REF) --monotone-grid $(LM_FIT_H) --by quant --out $(LMD)/fit_$*)

$(LMD)/table.tsv: $(LMD)/ptq.tsv reports/reference_lm.tsv $(AWK_DIR)/lm_table.awk
	awk -f $(AWK_DIR)/lm_table.awk reports/reference_lm.tsv $< > $@.tmp && mv $@.tmp $@

$(LMD)/verdicts.tsv: $(LMD)/ptq.tsv $(LMD)/summary.tsv $(LM_FITS:%=$(LMD)/fit_%.coef.tsv) reports/reference_lm_setup.tsv \
  $(AWK_DIR)/lm_verdicts.awk
	awk -f $(AWK_DIR)/lm_verdicts.awk $(LMD)/summary.tsv $(LMD)/ptq.tsv $(LM_FITS:%=$(LMD)/fit_%.coef.tsv) \
	  reports/reference_lm_setup.tsv > $@.tmp && mv $@.tmp $@

$(LMB) $(LMD):
	mkdir -p $@
endif
