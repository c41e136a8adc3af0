# Profile "default": all nine networks on Fashion-MNIST (Debian's dataset-fashion-mnist),
# sized so that training all nine takes at most ~25 minutes on a 2-core machine and each
# reaches >= 88 % test accuracy.  Widths differ per model: the deep and wide ones are
# thinned more (a width multiplier scales every channel count, see experiments/models).
MODELS        := AlexNet AlexNet_BN VGG_16 VGG_19 Inception_BN ResNet_18 ResNet_50 ResNet_152 MobileNetV2
DATA          := fmnist
WIDTH         := 0.25
WIDTH_AlexNet := 0.5
WIDTH_AlexNet_BN := 0.5
WIDTH_Inception_BN := 0.125
WIDTH_ResNet_50 := 0.125
WIDTH_ResNet_152 := 0.125
EPOCHS        := 3
TRAIN_LIMIT   := 20000
BATCH         := 128
LR            := 0.05
MILESTONES    := 2
CALIB_BATCHES := 10
PTQ_LIMIT     := 2000
PTQ_CONFIGS   := all
SEED          := 1
THREADS       := 2
