# Profile "paper": the reference's CIFAR-10 recipe at full width (spec training §1.3):
# 200 epochs of SGD (lr 0.1, momentum 0.9, Nesterov, weight decay 5e-4, milestones
# 60/120/160, gamma 0.2, warm-up in epoch 1), batch 128, calibration on 100 batches of 128,
# the full test set.  Needs your own CIFAR-10 copy (DATA=cifar10:/path/to/cifar-10-batches-bin)
# and days on this 2-core machine (ResNet_18 alone is ~8 days here, spec §7): use a cluster.
MODELS        := AlexNet AlexNet_BN VGG_16 VGG_19 Inception_BN ResNet_18 ResNet_50 ResNet_152 MobileNetV2
DATA          ?= cifar10:$(HOME)/cifar-10-batches-bin
WIDTH         := 1
EPOCHS        := 200
TRAIN_LIMIT   := 0
BATCH         := 128
LR            := 0.1
MILESTONES    := 60,120,160
CALIB_BATCHES := 100
PTQ_BATCH     := 128
PTQ_LIMIT     := 0
PTQ_CONFIGS   := all
SEED          := 1
THREADS       := 2
# The security half at the reference's scale (spec training-generator-robustness §2.5, §2.6,
# §3.2): 20 x 200 generator steps of 128 at full width and lr 0.001 (0.005 for CIFAR-100), no
# adjust cap, the whole test set and 12,800 pseudo images under attack, ranges widening as in
# the reference's forward, its box in normalized space (quirk 10) -- weeks on 2 cores (§7).
GEN_EPOCHS     := 20
GEN_ITERS      := 200
GEN_BATCH      := 128
GEN_LR         := 0.001
GEN_WIDTH      := 1
ADJUST_CAP     := 0
ADJUST_BATCHES := 20
ATTACK_TEST    := 10000
ROBUST_PSEUDO  := 12800
ROBUST_CONFIGS := all
ROBUST_RANGES  := update
ATTACK_BOX     := normalized
PCA_TEST       := 10000
PCA_PER_CLASS  := 1000
ADV_IMAGES     := 6
# the language-model study at the reference's sizes (PTB_LSTM/train.py): Penn Treebank in the
# PTB language-model layout (LM_DATA=ptb:/path/to/ptb with ptb.train.txt, ptb.valid.txt,
# ptb.test.txt), 700 embedding/hidden units, dropout 0.65, 10 epochs
LM_MODEL       := PTB_LSTM
LM_DATA        ?= ptb:$(HOME)/ptb
LM_VOCAB       := 10000
LM_EMBED       := 700
LM_HIDDEN      := 700
LM_DROPOUT     := 0.65
LM_EPOCHS      := 10
LM_LR          := 22
LM_CLIP        := 0.25
LM_BPTT        := 35
LM_BATCH       := 20
LM_EVAL_BATCH  := 10
LM_TRAIN_TOKENS := 0
LM_SEED        := 1111
LM_CONFIGS     := all
LM_THREADS     := 2
