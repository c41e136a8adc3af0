/* ops.c — the table of graph ops (see ops.h for what a row holds and how to add one). */
#include "nn/ops.h"

const OpImpl op_impl[OP__COUNT] = {
    [OP_CONV] = {.name = "conv", .forward = conv_node_forward, .backward = conv_node_backward,
                 .cache = conv_node_cache, .work = conv_node_work, .stats = conv_node_stats},
    [OP_LINEAR] = {.name = "linear", .forward = linear_node_forward, .backward = linear_node_backward,
                   .stats = linear_node_stats},
    [OP_RELU] = {.name = "relu", .forward = relu_node_forward, .backward = relu_node_backward, .stats = act_node_stats},
    [OP_RELU6] = {.name = "relu6", .forward = relu6_node_forward, .backward = relu6_node_backward, .stats = act_node_stats},
    [OP_MAXPOOL] = {.name = "maxpool", .forward = maxpool_node_forward, .backward = maxpool_node_backward,
                    .cache = maxpool_node_cache, .stats = maxpool_node_stats},
    [OP_AVGPOOL] = {.name = "avgpool", .forward = avgpool_node_forward, .backward = avgpool_node_backward,
                    .stats = avgpool_node_stats},
    [OP_FLATTEN] = {.name = "flatten", .forward = flatten_node_forward, .backward = flatten_node_backward,
                    .aliases_input = 1},
    [OP_DROPOUT] = {.name = "dropout", .forward = dropout_node_forward, .backward = dropout_node_backward,
                    .cache = dropout_node_cache, .stats = dropout_node_stats},
    [OP_SOFTMAX] = {.name = "softmax", .forward = softmax_node_forward, .backward = softmax_node_backward},
    [OP_ADD] = {.name = "add", .forward = add_node_forward, .backward = add_node_backward},
    [OP_CONCAT] = {.name = "concat", .forward = concat_node_forward, .backward = concat_node_backward},
};
_Static_assert(sizeof op_impl / sizeof op_impl[0] == OP__COUNT, "one op_impl row per OpKind");
