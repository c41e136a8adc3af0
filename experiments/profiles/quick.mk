# Profile "quick": tiny versions of three networks, for tests and CI.  Trains in seconds and
# still learns (accuracy far above chance); the whole pipeline takes a few minutes.
MODELS        := AlexNet_BN ResNet_18 MobileNetV2
DATA          := fmnist
WIDTH         := 0.0625
EPOCHS        := 2
TRAIN_LIMIT   := 3000
BATCH         := 64
WARMUP        := 0
CROP_PAD      := 0
LR            := 0.05
MILESTONES    := none
CALIB_BATCHES := 2
PTQ_BATCH     := 128
PTQ_LIMIT     := 1000
PTQ_CONFIGS   := all
SEED          := 1
THREADS       := 2
# security half (experiments/robustness.md), tiny: the pipeline's plumbing, not findings
GEN_EPOCHS     := 1
GEN_ITERS      := 10
GEN_BATCH      := 32
GEN_LR         := 0.01
GEN_WIDTH      := 0.125
ADJUST_CAP     := 2
ADJUST_BATCHES := 2
ATTACK_TEST    := 64
ROBUST_PSEUDO  := 64
ROBUST_CONFIGS := INT_2,INT_4,INT_8,POT_4,FLOAT_6_E3
ROBUST_RANGES  := fixed
ATTACK_BOX     := pixel
PCA_TEST       := 500
PCA_PER_CLASS  := 50
ADV_IMAGES     := 4
# the sample-size study of the label-free predictors (experiments/prediction.md): 2 draws of
# 32 and of 128 unlabelled images from a pool of 256 (small: the tests run this profile often)
SS_SIZES      := 32,128
SS_POOL       := 256
SS_DRAWS      := 2
# the language-model study, tiny: 2,000 words, 16 units, one epoch on 30,000 training tokens,
# eight configurations
LM_MODEL       := PTB_LSTM
LM_DATA        := fortunes
LM_VOCAB       := 2000
LM_EMBED       := 16
LM_HIDDEN      := 16
LM_DROPOUT     := 0.1
LM_EPOCHS      := 1
LM_LR          := 22
LM_CLIP        := 0.25
LM_BPTT        := 35
LM_BATCH       := 20
LM_EVAL_BATCH  := 10
LM_TRAIN_TOKENS := 30000
LM_SEED        := 1111
LM_CONFIGS     := INT_2,INT_4,INT_8,POT_2,POT_4,POT_8,FLOAT_6_E3,FLOAT_8_E4
LM_THREADS     := 2
