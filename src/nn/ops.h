/* ops.h — the table of graph ops: one row per OpKind with everything the nn layer does with
 * a node of that kind (designated initializers in ops.c, checked against OpKind when
 * compiling).  The quantized twin has its own table, indexed the same way (quant/qops.h),
 * because quant sits above nn.
 *
 * How to add an op (say "gelu"):
 *   1. net.h: add OP_GELU to OpKind (before OP__COUNT);
 *   2. nn/op_gelu.c (+ its kernels, e.g. in layers.h): gelu_forward / gelu_backward /
 *      gelu_stats (and .cache when the training forward records something for the backward),
 *      declared below;
 *   3. ops.c: one row [OP_GELU] = {.name = "gelu", .forward = ..., ...};
 *   4. the model language: a reader in modelfile.c's word table (simple ops: "gelu" -> one node);
 *   5. quant/qops.c: one row (calibrate / infer / freeze; an op with no quantized meaning
 *      passes its input's quantizer through);
 *   6. a PyTorch fixture in tools/gen_fixtures.py and a case in tests/t_forward.c /
 *      t_backward.c (finite differences cover every op automatically).
 * The compiler refuses a table that misses a kind (_Static_assert on the row count, and
 * graph.c CHECKs that a row's forward/backward exist before it runs).
 */
#ifndef MTA_OPS_H
#define MTA_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "nn/conv.h"
#include "nn/net.h"

/* Where stats rows go: one row per PyTorch module a node stands for (conv + its BN + its
 * activation are three rows), with the module's parameter and MAC counts (ptflops rules). */
typedef struct StatSink StatSink;
void stat_sink_push(StatSink *s, const char *name, const char *type, int node, int64_t params, int64_t macs);

typedef struct {
    const char *name;   /* op_name(): "conv", "linear", "relu", ... */
    /* Forward of node i on n samples: eval mode when tb is NULL (BN running statistics,
     * dropout off); training mode otherwise, caching in tb what the backward needs. */
    void (*forward)(Net *net, int i, int n, TrainBufs *tb);
    /* Backward of node i: gradients w.r.t. its inputs and parameters accumulate into bp. */
    void (*backward)(Net *net, Backprop *bp, int i, int n);
    /* Allocate the training cache of node i for max_batch samples (NULL: nothing cached);
     * backprop_free frees every TrainBufs array entry. */
    void (*cache)(const Net *net, int i, int max_batch, TrainBufs *tb);
    /* Per-thread scratch floats node i needs for batches of max_batch on `threads` threads, in
     * the forward (backward 0) or the backward (1); for the backward also the floats of one
     * thread's partial parameter gradients in *partial.  NULL: none. */
    size_t (*work)(const Net *net, int i, int max_batch, int threads, int backward, size_t *partial);
    /* Push the node's module rows (NULL: no module, e.g. flatten, add). */
    void (*stats)(const Net *net, int i, StatSink *sink);
    /* The node's output is its input's buffer (no copy; flatten). */
    int aliases_input;
} OpImpl;

extern const OpImpl op_impl[OP__COUNT];

/* The gradient buffer of node i's first input, or NULL when that input is the network input
 * and its gradient is not wanted (bp->want_input_grad 0): the backward then skips dx. */
static inline float *node_input_grad(const Net *net, const Backprop *bp, int i)
{
    const Node *nd = &net->nodes[i];
    return (nd->in[0] == 0 && !bp->want_input_grad) ? NULL : bp->dact[nd->in[0]];
}

/* The convolution geometry of a conv node (one helper for every caller). */
ConvGeom node_geom(const Node *nd);

/* op_conv.c: conv [+ BN] [+ ReLU/ReLU6], fused as the reference's modules. */
void conv_node_forward(Net *net, int i, int n, TrainBufs *tb);
void conv_node_backward(Net *net, Backprop *bp, int i, int n);
void conv_node_cache(const Net *net, int i, int max_batch, TrainBufs *tb);
size_t conv_node_work(const Net *net, int i, int max_batch, int threads, int backward, size_t *partial);
void conv_node_stats(const Net *net, int i, StatSink *sink);
/* op_linear.c */
void linear_node_forward(Net *net, int i, int n, TrainBufs *tb);
void linear_node_backward(Net *net, Backprop *bp, int i, int n);
void linear_node_stats(const Net *net, int i, StatSink *sink);
/* op_act.c: relu, relu6, softmax */
void relu_node_forward(Net *net, int i, int n, TrainBufs *tb);
void relu_node_backward(Net *net, Backprop *bp, int i, int n);
void relu6_node_forward(Net *net, int i, int n, TrainBufs *tb);
void relu6_node_backward(Net *net, Backprop *bp, int i, int n);
void act_node_stats(const Net *net, int i, StatSink *sink);
void softmax_node_forward(Net *net, int i, int n, TrainBufs *tb);
void softmax_node_backward(Net *net, Backprop *bp, int i, int n);
/* op_pool.c: maxpool, adaptive average pool to 1x1 */
void maxpool_node_forward(Net *net, int i, int n, TrainBufs *tb);
void maxpool_node_backward(Net *net, Backprop *bp, int i, int n);
void maxpool_node_cache(const Net *net, int i, int max_batch, TrainBufs *tb);
void maxpool_node_stats(const Net *net, int i, StatSink *sink);
void avgpool_node_forward(Net *net, int i, int n, TrainBufs *tb);
void avgpool_node_backward(Net *net, Backprop *bp, int i, int n);
void avgpool_node_stats(const Net *net, int i, StatSink *sink);
/* op_shape.c: flatten (an alias), dropout */
void flatten_node_forward(Net *net, int i, int n, TrainBufs *tb);
void flatten_node_backward(Net *net, Backprop *bp, int i, int n);
void dropout_node_forward(Net *net, int i, int n, TrainBufs *tb);
void dropout_node_backward(Net *net, Backprop *bp, int i, int n);
void dropout_node_cache(const Net *net, int i, int max_batch, TrainBufs *tb);
void dropout_node_stats(const Net *net, int i, StatSink *sink);
/* op_merge.c: add (residual), concat (inception) */
void add_node_forward(Net *net, int i, int n, TrainBufs *tb);
void add_node_backward(Net *net, Backprop *bp, int i, int n);
void concat_node_forward(Net *net, int i, int n, TrainBufs *tb);
void concat_node_backward(Net *net, Backprop *bp, int i, int n);

#endif
