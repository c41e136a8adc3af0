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
