/* qops.c — the quantized twin's table of ops, indexed by OpKind like nn/ops.c (see
 * quant/qnet_impl.h for the roles; nn/ops.h says how to add an op). */
#include "quant/qnet_impl.h"

const QOpImpl qop_impl[OP__COUNT] = {
    [OP_CONV] = {.role = Q_LAYER, .calib = qlayer_calib, .freeze = qlayer_freeze, .infer = qlayer_infer},
    [OP_LINEAR] = {.role = Q_LAYER, .calib = qlayer_calib, .freeze = qlayer_freeze, .infer = qlayer_infer},
    [OP_RELU] = {.role = Q_PASS, .calib = qrelu_calib, .infer = qrelu_infer},
    [OP_RELU6] = {.role = Q_PASS, .calib = qrelu6_calib, .freeze = qrelu6_freeze, .infer = qrelu6_infer},
    [OP_MAXPOOL] = {.role = Q_PASS, .calib = qmaxpool_run, .infer = qmaxpool_run},
    [OP_AVGPOOL] = {.role = Q_OWN, .calib = qavgpool_calib, .freeze = qmerge_freeze, .infer = qavgpool_infer},
    [OP_FLATTEN] = {.role = Q_PASS, .calib = qflatten_run, .infer = qflatten_run},
    [OP_DROPOUT] = {.role = Q_PASS, .calib = qdropout_run, .infer = qdropout_run},
    [OP_SOFTMAX] = {.role = Q_PASS, .calib = qsoftmax_calib, .infer = qsoftmax_infer},
    [OP_ADD] = {.role = Q_OWN, .calib = qadd_calib, .freeze = qmerge_freeze, .infer = qadd_infer},
    [OP_CONCAT] = {.role = Q_OWN, .calib = qconcat_calib, .freeze = qmerge_freeze, .infer = qconcat_infer},
};
_Static_assert(sizeof qop_impl / sizeof qop_impl[0] == OP__COUNT, "one qop_impl row per OpKind");

int qop_is_layer(OpKind op) { return op >= 0 && op < OP__COUNT && qop_impl[op].role == Q_LAYER; }
