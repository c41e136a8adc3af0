# Profile "default_seed2": the default profile's nine networks trained again from another seed
# -- a second, independently trained zoo (issue 12: does the ranking of the predictors hold
# when every network is trained anew?).  Everything as in the default profile except SEED,
# which draws the initial weights, the order of the training batches, the validation split,
# the calibration images and the 1,000 test images of the sweep.  Only the accuracy half runs
# (`make PROFILE=default_seed2 zoo`: train, PTQ, the noise model and the nested-LOMO
# selection); the default profile's report compares the two zoos.
include experiments/profiles/default.mk
SEED := 2
REPLICATE :=
