# Profile "default": all nine networks on Fashion-MNIST (Debian's dataset-fashion-mnist).
# Sized for a 2-core machine: training all nine takes about 25 minutes, the whole
# `make reproduce` under an hour.  Widths differ per model (a width multiplier scales every
# channel count, see experiments/models/README.md): the deep networks are thinned to 1/16,
# AlexNet/AlexNet_BN keep 1/4 (they are cheap and, without residual paths, need the width).
# Epochs are what each network needs to pass 88 % test accuracy on the 43,200 training
# images (10 % of the 48,000... of the 60,000 are held out for validation): 2 for the deep
# BN networks (ResNet_50, ResNet_152, Inception_BN), 3 for ResNet_18, MobileNetV2 and
# AlexNet_BN, 4 for the VGGs, 6 for AlexNet.  The learning rate decays linearly to 0 over all
# batches (short runs end far better than with a step schedule); no warm-up and no crop
# augmentation (short runs learn faster without them); AlexNet, the one network without batch
# norm, starts from He initialization at a lower rate (from PyTorch's default init it barely
# learns in a few epochs).  Actual accuracies and times: data/default/train_summary.tsv.
MODELS        := AlexNet AlexNet_BN VGG_16 VGG_19 Inception_BN ResNet_18 ResNet_50 ResNet_152 MobileNetV2
DATA          := fmnist
VAL_FRAC      := 0.1
WIDTH         := 0.0625
WIDTH_AlexNet := 0.25
WIDTH_AlexNet_BN := 0.25
WIDTH_MobileNetV2 := 0.125
INIT_AlexNet  := kaiming
EPOCHS        := 2
EPOCHS_AlexNet := 6
EPOCHS_AlexNet_BN := 3
EPOCHS_VGG_16 := 4
EPOCHS_VGG_19 := 4
EPOCHS_ResNet_18 := 3
EPOCHS_MobileNetV2 := 3
TRAIN_LIMIT   := 0
BATCH         := 64
LR            := 0.05
LR_AlexNet    := 0.02
SCHEDULE      := linear
MILESTONES    := none
WARMUP        := 0
CROP_PAD      := 0
CALIB_BATCHES := 4
PTQ_LIMIT     := 1000
PTQ_CONFIGS   := all
SEED          := 1
THREADS       := 2
