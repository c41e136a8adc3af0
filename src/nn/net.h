/* net.h — a network built from a model description: nodes, parameters, activations.
 *
 * A model file (modelfile.h) is expanded into a flat list of nodes in execution order.
 * A node is one fusable module of the reference (conv[+BN][+ReLU/ReLU6], linear, relu,
 * relu6, maxpool, adaptive avgpool, flatten, dropout, softmax) or the merge of a block
 * (add of a residual block, concat of an inception block).  Nodes read and write
 * activation tensors by id: tensor 0 is the network input, node i writes tensor i + 1.
 * Shapes are per sample (C, H, W); a flattened tensor has shape (C*H*W, 1, 1).
 *
 * All parameters (weights, biases, BN affine parameters and running statistics) live in
 * one float block; `params[]` names each tensor with the reference's state_dict name.
 */
#ifndef MTA_NET_H
#define MTA_NET_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ACT_NONE, ACT_RELU, ACT_RELU6 } Act;

typedef enum {
    OP_CONV, OP_LINEAR, OP_RELU, OP_RELU6, OP_MAXPOOL, OP_AVGPOOL, OP_FLATTEN,
    OP_DROPOUT, OP_SOFTMAX, OP_ADD, OP_CONCAT, OP__COUNT
} OpKind;

typedef struct { int c, h, w; } Shape;

#define NAME_MAX_LEN 80
#define NODE_MAX_IN 4

typedef struct {
    OpKind op;
    char name[NAME_MAX_LEN];      /* conv0, fc7, relu1, pool2, aap5, drop9, ml0_blk1_add0 ... */
    char bn_name[NAME_MAX_LEN];   /* fused conv: bn partner ("" if none) */
    char act_name[NAME_MAX_LEN];  /* fused conv: relu/relus partner ("" if none) */
    int entry;                    /* model-file entry index (line position) */
    int line;                     /* source line number in the model file */
    int in[NODE_MAX_IN], n_in;    /* input tensor ids */
    int out;                      /* output tensor id (node index + 1) */
    Shape in_shape, out_shape;    /* in_shape is the shape of in[0] */
    int k, stride, pad, groups;   /* conv / maxpool geometry */
    int has_bias, has_bn;         /* conv / linear */
    Act act;                      /* fused activation of a conv */
    float p;                      /* dropout probability */
    int first;                    /* the network's first conv (owns the input quantizer) */
    int pw, pb, pgamma, pbeta, pmean, pvar;   /* indices into Net.params, -1 if absent */
} Node;

typedef enum { PARAM_WEIGHT, PARAM_BIAS, PARAM_BN_GAMMA, PARAM_BN_BETA, PARAM_BN_MEAN, PARAM_BN_VAR } ParamKind;

typedef struct {
    char name[NAME_MAX_LEN + 16]; /* state_dict name, e.g. "ml1_blk0_ds_bn0.running_var" */
    ParamKind kind;
    int node;                     /* owning node */
    int ndim, shape[4];
    size_t off, numel;            /* offset into Net.pdata */
} Param;

/* Per-node wall time (mta bench --layers): when Net.prof is set, net_forward_node and
 * net_backward_with add each node's seconds to fwd[i] / bwd[i] (n_nodes entries each). */
typedef struct NodeProfile { double *fwd, *bwd; } NodeProfile;

typedef struct {
    char model_name[64];
    char *model_text;             /* the model file's text (owned) */
    double width;
    int classes;
    Shape input;
    Node *nodes; int n_nodes;     /* owned */
    Param *params; int n_params;  /* owned */
    float *pdata; size_t pnumel;  /* all parameters, one block (owned) */
    Shape *tshape; int n_tensors; /* shape of every tensor (owned) */
    int64_t bn_batches;           /* BatchNorm num_batches_tracked (checkpoints) */
    /* activation buffers, sized for max_batch samples (net_alloc_acts) */
    int max_batch;
    float **act;                  /* act[t] for tensor t; flatten outputs alias their input */
    float *work; size_t work_floats;  /* scratch for im2col etc.: threads slices of work_floats */
    struct ThreadPool *pool;      /* compute threads (NULL: run on the calling thread) */
    int threads;
    NodeProfile *prof;            /* NULL, or per-node wall times (NodeProfile; borrowed) */
} Net;

/* What a training-mode forward records for the backward pass, per node (allocated by each
 * op's .cache, nn/ops.h): conv output before BN, batch statistics, max-pool argmax indices,
 * dropout masks, and the Rng the masks come from (borrowed).  Arrays of n_nodes entries, owned. */
typedef struct {
    float **pre, **bn_mean, **bn_invstd;
    int **arg;
    float **mask;
    struct Rng *rng;
    int eval;                     /* eval-mode pass (Backprop.input_only): BN with the running
                                     statistics (not updated), dropout off; only argmax recorded */
    int keep_pre;                 /* eval mode too: record every BN layer's input (the conv output
                                     before BN) in pre[i], for the BN-statistics loss of the
                                     data-free generator (train/bnstat.h) */
} TrainBufs;

/* The buffers of the backward pass (train/backprop.h allocates and frees them; the graph's
 * backward in nn/graph.c fills them).  Parameter gradients accumulate into grad (same layout
 * as Net.pdata); net_zero_grad clears them.  Every pointer is owned. */
typedef struct {
    int max_batch;
    float *grad;               /* parameter gradients (net->pnumel floats) */
    float **dact;              /* dact[t]: gradient w.r.t. tensor t; a flatten output aliases its input's */
    TrainBufs tb;              /* per node: what the training forward cached (NULL where nothing) */
    float *scratch;            /* one tensor of the largest size */
    float *work; size_t work_floats;  /* conv backward scratch: threads slices of work_floats */
    float *partial;            /* per-thread partial conv weight gradients (threads - 1 slices) */
    int want_input_grad;       /* also compute dact[0] (gradient w.r.t. the input) */
    int input_only;            /* the gradient of an eval-mode forward w.r.t. the input alone:
                                  net_forward_train runs in eval mode (tb.eval), the backward skips
                                  every parameter gradient (the attacks, train/attack.h) */
    float **pre_grad;          /* input_only: per node, NULL or an extra gradient w.r.t. the BN
                                  layer's input (tb.pre[i]'s layout) added to what flows back
                                  through BN (the BN-statistics loss, train/bnstat.h); NULL: none.
                                  Borrowed: the caller owns the arrays */
} Backprop;

/* Element count of a per-sample shape. */
static inline size_t shape_numel(Shape s) { return (size_t)s.c * s.h * s.w; }
/* Output size of a conv or pool window: floor((in + 2 pad - k) / stride) + 1. */
static inline int conv_out_dim(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

const char *op_name(OpKind op);
/* Parameter pointer (into net->pdata) or NULL for index -1. */
float *net_param(const Net *net, int idx);
/* Find a parameter by state_dict name; -1 if absent. */
int net_find_param(const Net *net, const char *name);

/* Allocate activation buffers for up to max_batch samples (frees any previous ones). */
void net_alloc_acts(Net *net, int max_batch);
/* Per-sample bytes of all activation buffers (for choosing a batch size). */
size_t net_act_bytes_per_sample(const Net *net);
/* Eval-mode forward of n <= max_batch samples x (n, input) -> returns the output tensor
 * (n, classes) owned by the net (valid until the next forward). */
const float *net_forward(Net *net, const float *x, int n);
/* Use `threads` compute threads (a condition-variable pool; BLAS itself runs
 * single-threaded inside each).  Call before net_alloc_acts / backprop_new. */
void net_set_threads(Net *net, int threads);
/* Does tensor t share its buffer with its producer's input (a flatten output)? */
int net_tensor_aliases(const Net *net, int t);

/* graph.c: the forward and backward walks over the nodes, through the op table (nn/ops.h).
 * Forward of node i on n samples: eval mode when tb is NULL (BN running statistics, dropout
 * off); training mode otherwise (batch statistics updating the running ones, dropout masks,
 * argmax indices recorded into tb). */
void net_forward_node(Net *net, int i, int n, TrainBufs *tb);
/* Training-mode forward of n samples; returns the output (n, classes), owned by the net. */
const float *net_forward_train(Net *net, Backprop *bp, const float *x, int n, struct Rng *rng);
/* Backward from dout = dLoss/doutput (n, classes) after net_forward_train on the same batch. */
void net_backward(Net *net, Backprop *bp, const float *dout, int n);
/* The same walk with node i's backward replaced by own(ctx, i) wherever own returns non-zero
 * (the quantized twin's straight-through layers, quant/qnet_grad.c).  dout may be bp->scratch:
 * it is copied before any node runs. */
typedef int (*NodeBackwardFn)(void *ctx, Backprop *bp, int i, int n);
void net_backward_with(Net *net, Backprop *bp, const float *dout, int n, NodeBackwardFn own, void *ctx);
void net_free(Net *net);   /* net_free(NULL) is a no-op; frees the struct too */

#endif
