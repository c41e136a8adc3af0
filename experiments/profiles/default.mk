# Profile "default": all nine networks on Fashion-MNIST (Debian's dataset-fashion-mnist).
# Sized for a 2-core machine: training all nine takes about 25 minutes, the whole
# `make reproduce` under an hour.  Widths differ per model (a width multiplier scales every
# channel count, see experiments/models/README.md): the deep and wide networks are thinned
# more.  The cheap networks see the 48,000 training images 3 times, the expensive ones
# once, ResNet_152 (150 layers) a 20,000-image subset once.  No warm-up and no crop
# augmentation (short runs learn faster without them); AlexNet, the one network without
# batch norm, starts from He initialization (from PyTorch's default it barely learns in a
# few epochs).  Actual accuracies and times: data/default/train_summary.tsv.
MODELS        := AlexNet AlexNet_BN VGG_16 VGG_19 Inception_BN ResNet_18 ResNet_50 ResNet_152 MobileNetV2
DATA          := fmnist
VAL_FRAC      := 0.2
WIDTH         := 0.125
WIDTH_AlexNet := 0.25
WIDTH_AlexNet_BN := 0.25
WIDTH_Inception_BN := 0.0625
WIDTH_ResNet_50 := 0.0625
WIDTH_ResNet_152 := 0.0625
INIT_AlexNet  := kaiming
EPOCHS        := 1
EPOCHS_AlexNet := 3
EPOCHS_AlexNet_BN := 3
EPOCHS_VGG_16 := 3
EPOCHS_VGG_19 := 3
TRAIN_LIMIT   := 0
TRAIN_LIMIT_ResNet_152 := 20000
BATCH         := 64
LR            := 0.05
LR_AlexNet    := 0.02
MILESTONES    := 2
WARMUP        := 0
CROP_PAD      := 0
CALIB_BATCHES := 4
PTQ_LIMIT     := 1000
PTQ_CONFIGS   := all
SEED          := 1
THREADS       := 2
