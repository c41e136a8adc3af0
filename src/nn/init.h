/* init.h — PyTorch-style default initialization of a network's parameters. */
#ifndef MTA_INIT_H
#define MTA_INIT_H

#include "base/rng.h"
#include "nn/net.h"

/* Conv / linear weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's
 * kaiming_uniform_(a=sqrt(5)) and bias rule); BN gamma 1, beta 0, mean 0, var 1. */
void net_init_params(Net *net, Rng *rng);
/* He (Kaiming) normal initialization for ReLU networks: conv / linear weights ~
 * N(0, 2 / fan_in), biases 0; BN as above.  Keeps the signal's scale through deep plain
 * networks (AlexNet without BN barely learns in a few epochs from PyTorch's default). */
void net_init_params_kaiming(Net *net, Rng *rng);

#endif
