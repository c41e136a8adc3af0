/* qnet_impl.h — the inside of a QNet, shared by qnet.c (life cycle, the walks over the
 * nodes, parameter access) and the quantized ops qop_*.c (one row per OpKind in qops.c).
 * Private to src/quant. */
#ifndef MTA_QNET_IMPL_H
#define MTA_QNET_IMPL_H

#include "nn/conv.h"
#include "quant/qnet.h"

typedef struct {
    int quantized;              /* conv or linear */
    int has_qi, has_qo;
    QParam qi, qo;
    QParam *qw;                 /* cout observers with per_channel, else 1 */
    int n_qw;
    float *W, *b;               /* BN-folded full-precision parameters (b may be NULL) */
    float *Wq, *bq;             /* fake-quantized (calibration) / fakefrozen (after freeze) */
    float *Wc, *bc;             /* codes (after freeze) */
    double *Wd;                 /* codes as doubles, for binary64 accumulation */
    size_t nw;
    float *M;                   /* per output channel requantization multiplier */
    float Min[NODE_MAX_IN];     /* add / concat / avgpool: s_in[j] / s_o */
    float q6;                   /* ReLU6 bound in codes */
    int f32_exact;              /* INT codes whose sums (with the bias) provably fit f32's 24-bit integers */
    int f32_nobias;             /* ... without the bias: f32 sums, the bias added in binary64 */
} QNode;

struct QNet {
    Net *net;
    QuantSpec spec, bspec;
    QuantTies ties, bties;
    PtqOptions o;
    QNode *qn;
    QParam **tq;                /* governing observer of every tensor */
    float *xin;                 /* quantized network input */
    float *logits;
    float *tmp;                 /* one tensor of the largest size */
    double *dwork; size_t dwork_per_thread;
    int frozen;
    int ranges_fixed;           /* the fake-quantized forward of the attacks: observers keep their
                                   calibrated ranges (qnet_grad.c) */
    int attack_update;          /* ... unless set (qnet_set_attack_ranges): they keep widening, as
                                   the reference's forward does */
    float **act_pre;            /* the attacks' forward: per layer node with a fused ReLU/ReLU6, its
                                   activated output before the output quantizer -- the activation's
                                   mask in the straight-through backward (n_nodes entries, NULL
                                   until qnet_fake_forward runs; owned) */
    int *pnode, *pbias, np;     /* compared parameters: node and weight(0)/bias(1) */
    char (*pname)[NAME_MAX_LEN + 16];
};

/* What a quantized twin does with a node of a kind (qops.c):
 *   Q_LAYER  conv / linear: BN-folded weights with observers qw, an output observer qo, the
 *            input observer qi on the network's first layer;
 *   Q_OWN    avgpool / add / concat: an output observer qo of its own;
 *   Q_PASS   relu, relu6, maxpool, flatten, dropout, softmax: the output is governed by its
 *            input's quantizer (the reference's freeze wiring, spec §3.1). */
typedef enum { Q_PASS, Q_LAYER, Q_OWN } QRole;

typedef struct {
    QRole role;
    /* Calibration forward of node i on n samples from input x (already fake-quantized by qi
     * when the node has one): fake-quantized output, observers widened. */
    void (*calib)(QNet *q, int i, const float *x, int n);
    /* After calibration: codes, multipliers, clamps of node i (NULL: nothing to freeze). */
    void (*freeze)(QNet *q, int i);
    /* Integer-domain inference of node i from input codes x. */
    void (*infer)(QNet *q, int i, const float *x, int n);
} QOpImpl;

extern const QOpImpl qop_impl[OP__COUNT];

/* qnet.c helpers for the ops */
float qnet_scale_of(const QParam *p);                     /* 0 for NULL */
float qnet_multiplier(float sw, float si, float so);      /* (sw * si) / so, 0 when so is 0 (Q21) */
float qnet_quantize_scalar(const QNet *q, const QParam *p, float v);
/* Widen p by obs[nobs], then fake-quantize y[n] in place with p. */
void qnet_observe_and_fake(QNet *q, QParam *p, const float *obs, size_t nobs, float *y, size_t n);
/* Requantize y[n] onto the grid of output observer p (see qnet.c). */
void qnet_requantize(const QNet *q, const QParam *p, float *y, size_t n);

/* The calibration forward of node i (the first layer fake-quantizes its input with qi into
 * q->xin first): qnet.c, also run by the fake-quantized forward of qnet_grad.c. */
void qnet_calib_node(QNet *q, int i, int n);

/* qop_*.c */
void qlayer_calib(QNet *q, int i, const float *x, int n);
void qlayer_freeze(QNet *q, int i);
void qlayer_infer(QNet *q, int i, const float *x, int n);
void qrelu_calib(QNet *q, int i, const float *x, int n);
void qrelu_infer(QNet *q, int i, const float *x, int n);
void qrelu6_calib(QNet *q, int i, const float *x, int n);
void qrelu6_freeze(QNet *q, int i);
void qrelu6_infer(QNet *q, int i, const float *x, int n);
void qmaxpool_run(QNet *q, int i, const float *x, int n);
void qflatten_run(QNet *q, int i, const float *x, int n);
void qdropout_run(QNet *q, int i, const float *x, int n);
void qsoftmax_calib(QNet *q, int i, const float *x, int n);
void qsoftmax_infer(QNet *q, int i, const float *x, int n);
void qavgpool_calib(QNet *q, int i, const float *x, int n);
void qavgpool_infer(QNet *q, int i, const float *x, int n);
void qadd_calib(QNet *q, int i, const float *x, int n);
void qadd_infer(QNet *q, int i, const float *x, int n);
void qconcat_calib(QNet *q, int i, const float *x, int n);
void qconcat_infer(QNet *q, int i, const float *x, int n);
/* avgpool / add / concat: Min[j] = s_in[j] / s_o */
void qmerge_freeze(QNet *q, int i);

#endif
