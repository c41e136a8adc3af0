# Profile "default": all nine networks on Fashion-MNIST (Debian's dataset-fashion-mnist).
# Sized for a 2-core machine.  One clean `make reproduce` (2026-12-08, commit 394d8ec) took
# 77 minutes: build 0.2, train 7.9, stats+ptq 2.9, gen+robust 23.1, the language model
# (LM_*, below) 9.4, the second zoo (REPLICATE, below: training and sweeping the nine again)
# 14.3, fits+figures+reports 19.3, of which the sample-size study's (SS_*) 26 nested selects
# took about 9.  Widths differ per model (a width multiplier scales every
# channel count, see experiments/models/README.md): 1/16 for most, 1/32 for ResNet_152 (150
# layers: depth, not width, is what costs), 1/8 for MobileNetV2 (at 1/16 it stays near 87 %),
# 1/4 for AlexNet/AlexNet_BN (cheap; without residual paths they need the width).  Epochs are
# what each network needed in trial runs to pass 88 % test accuracy on the 54,000 training
# images (10 % of the 60,000 are held out for validation): 2 for ResNet_18/50, Inception_BN
# and AlexNet_BN, 3 for the VGGs, 4 for AlexNet, ResNet_152 and MobileNetV2 (at 3 epochs these
# two ended at 87.1 % and 87.9 %; trial runs vary by about a point with the summation order,
# so the margins matter).  The learning rate decays linearly to 0 over all batches (short runs
# end far better than with a step schedule: MobileNetV2 1 epoch 85.6 % vs 81.5 %); no warm-up
# and no crop augmentation, except AlexNet -- the one network without batch norm -- which
# starts from He initialization with a warm-up epoch (from PyTorch's default init it barely
# learns in a few epochs; at 0.04 without warm-up it diverges).  Actual accuracies and times:
# data/default/train_summary.tsv.
MODELS        := AlexNet AlexNet_BN VGG_16 VGG_19 Inception_BN ResNet_18 ResNet_50 ResNet_152 MobileNetV2
DATA          := fmnist
VAL_FRAC      := 0.1
WIDTH         := 0.0625
WIDTH_AlexNet := 0.25
WIDTH_AlexNet_BN := 0.25
WIDTH_MobileNetV2 := 0.125
WIDTH_ResNet_152 := 0.03125
INIT_AlexNet  := kaiming
EPOCHS        := 2
EPOCHS_AlexNet := 4
EPOCHS_AlexNet_BN := 2
EPOCHS_VGG_16 := 3
EPOCHS_VGG_19 := 3
EPOCHS_ResNet_152 := 4
EPOCHS_MobileNetV2 := 4
TRAIN_LIMIT   := 0
BATCH         := 64
LR            := 0.05
SCHEDULE      := linear
MILESTONES    := none
WARMUP        := 0
WARMUP_AlexNet := 1
CROP_PAD      := 0
CALIB_BATCHES := 4
PTQ_BATCH     := 128
PTQ_LIMIT     := 1000
PTQ_CONFIGS   := all
SEED          := 1
# two runs side by side, one thread each: these thin networks gain only ~1.55x from a second
# thread, two single-threaded runs ~2x.  Longest first, so that the two lanes end together.
THREADS       := 1
JOBS          := 2
TRAIN_ORDER   := ResNet_152 Inception_BN MobileNetV2 ResNet_50 AlexNet VGG_19 ResNet_18 VGG_16 AlexNet_BN
# The security half (experiments/robustness.md; spec §2, §3; times: data/default/gen_summary.tsv,
# robust/*.tsv).  Scaled to fit `make reproduce` in an hour: the generator at a quarter of the
# reference's width (32/16 trunk channels), 6 x 50 steps of 64 at lr 0.01 (at the reference's
# 0.001 Gen acc is still ~36 % after 250 steps; at 0.01 it passes 99 % -- trial on AlexNet_BN);
# adjust evaluations on 4 x 64 fresh pseudo images, at most 30 generator updates (the reference
# has no cap; the summary says when it was hit); 256 test images and 256 pseudo images per
# generator under attack (binomial s.e. ~3 points at 50 %), every one of the 43 configurations.
# Attacks in pixel space (the default box; the reference's normalized box is `--compat
# reference`), quantizer ranges as calibrated (the reference lets them widen: ROBUST_RANGES :=
# update).
GEN_EPOCHS     := 6
GEN_ITERS      := 50
GEN_BATCH      := 64
GEN_LR         := 0.01
GEN_WIDTH      := 0.25
ADJUST_CAP     := 30
ADJUST_BATCHES := 4
ATTACK_TEST    := 256
ROBUST_PSEUDO  := 256
ROBUST_CONFIGS := all
ROBUST_RANGES  := fixed
ATTACK_BOX     := pixel
# the figures of spec §4: PCA on 3,000 test images and 300 pseudo images per class and
# generator (the reference: 10,000 and 1,000; fewer keeps the embedded SVG small); 6 adversarial examples
PCA_TEST       := 3000
PCA_PER_CLASS  := 300
ADV_IMAGES     := 6
# the sample-size study of the label-free predictors (experiments/prediction.md): their metrics
# on disjoint draws of 32, 128, 512 and 2,048 unlabelled training images from a pool of 4,096
# the calibration did not see (8 draws a size; the pool holds 2 of 2,048)
SS_SIZES       := 32,128,512,2048
SS_POOL        := 4096
SS_DRAWS       := 8
# a second, independently trained zoo (the same settings, another seed): make reproduce trains
# and sweeps it too, and the report's prediction section compares the two zoos' rankings
REPLICATE      := default_seed2
# The language-model study (experiments/language_model.md, issue 14; spec §5): the reference's
# PTB_LSTM (two LSTMs, tied output layer, its training recipe: lr 22, clipping 0.25, BPTT 35,
# batch 20, lr / 2.5 when validation loss does not improve) on the English databases of
# Debian's `fortunes` package with the 10,000 most frequent training words (+ <unk>).  Scaled:
# 128 embedding/hidden units instead of 700 (mta bench PTB_LSTM on this 2-core machine trains
# 13,400 tokens/s at 128 units, 1,500 at 700: an epoch of the 443,335 training tokens takes
# 40 s instead of about 5 minutes, and the sweep's two passes per configuration shrink alike;
# the output layer over the 10,001 words is 83 % of the MACs at 128), dropout 0.3 instead of
# 0.65 (not tuned: one trial, chosen because the small model has less to regularize),
# LM_EPOCHS epochs (validation perplexity still falls at epoch 6: data/default/lm/train.tsv).
LM_MODEL       := PTB_LSTM
LM_DATA        := fortunes
LM_VOCAB       := 10000
LM_EMBED       := 128
LM_HIDDEN      := 128
LM_DROPOUT     := 0.3
LM_EPOCHS      := 6
LM_LR          := 22
LM_CLIP        := 0.25
LM_BPTT        := 35
LM_BATCH       := 20
LM_EVAL_BATCH  := 10
LM_TRAIN_TOKENS := 0
LM_SEED        := 1111
LM_CONFIGS     := all
LM_THREADS     := 2
