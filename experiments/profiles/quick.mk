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
