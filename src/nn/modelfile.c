/* modelfile.c — parse model description text and expand it into a Net (modelfile.h).
 *
 * Stage one (modelfile_parse) only tokenizes: op, key=value pairs, line numbers.
 * Stage two (net_build) maps each op through a const table to a builder that reads its
 * keys with explicit defaults (marking them used), expands blocks into nodes, checks
 * shapes, and reports any key left unused.  Names follow the reference (spec §1.3).
 */
#include "nn/modelfile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/check.h"
#include "base/fileio.h"

/* ---------------------------------------------------------------- stage one */

static int copy_token(char *dst, size_t dstsz, const char *s, size_t n)
{
    if (n >= dstsz) return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

static int parse_line(const char *path, int lineno, const char *s, size_t len, MfLine *ml,
                      char *err, size_t errsz)
{
    size_t i = 0;
    int tok = 0;
    memset(ml, 0, sizeof *ml);
    ml->lineno = lineno;
    while (i < len) {
        while (i < len && isspace((unsigned char)s[i])) i++;
        if (i >= len) break;
        size_t b = i;
        while (i < len && !isspace((unsigned char)s[i])) i++;
        const char *t = s + b;
        size_t n = i - b;
        if (tok++ == 0) {
            for (size_t j = 0; j < n; j++)
                if (!(isalnum((unsigned char)t[j]) || t[j] == '_'))
                    return set_errf(err, errsz, "%s:%d: bad op '%.*s' (expected a word such as conv, linear, stage)",
                                   path, lineno, (int)n, t);
            if (copy_token(ml->op, sizeof ml->op, t, n))
                return set_errf(err, errsz, "%s:%d: op '%.*s' too long", path, lineno, (int)n, t);
            continue;
        }
        const char *eq = memchr(t, '=', n);
        if (!eq || eq == t || eq == t + n - 1)
            return set_errf(err, errsz, "%s:%d: %s: bad token '%.*s' (expected key=value)",
                           path, lineno, ml->op, (int)n, t);
        if (ml->nkeys >= MF_MAX_KEYS)
            return set_errf(err, errsz, "%s:%d: %s: too many keys (at most %d)", path, lineno, ml->op, MF_MAX_KEYS);
        int k = ml->nkeys;
        if (copy_token(ml->key[k], sizeof ml->key[k], t, (size_t)(eq - t)) ||
            copy_token(ml->val[k], sizeof ml->val[k], eq + 1, (size_t)(t + n - eq - 1)))
            return set_errf(err, errsz, "%s:%d: %s: token '%.*s' too long", path, lineno, ml->op, (int)n, t);
        for (int j = 0; j < k; j++)
            if (!strcmp(ml->key[j], ml->key[k]))
                return set_errf(err, errsz, "%s:%d: %s: key '%s' given twice", path, lineno, ml->op, ml->key[k]);
        ml->nkeys++;
    }
    return 0;
}

int modelfile_parse(const char *path, const char *text, ModelDesc *md, char *err, size_t errsz)
{
    int cap = 16, lineno = 0;
    md->n = 0;
    md->lines = xmalloc(sizeof(MfLine) * (size_t)cap);
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        lineno++;
        const char *hash = memchr(p, '#', len);
        size_t use = hash ? (size_t)(hash - p) : len;
        int blank = 1;
        for (size_t i = 0; i < use; i++)
            if (!isspace((unsigned char)p[i])) { blank = 0; break; }
        if (!blank) {
            if (md->n == cap) {
                cap *= 2;
                md->lines = xrealloc(md->lines, sizeof(MfLine) * (size_t)cap);
            }
            if (parse_line(path, lineno, p, use, &md->lines[md->n], err, errsz)) {
                modeldesc_free(md);
                return -1;
            }
            md->n++;
        }
        p += len;
        if (*p == '\n') p++;
    }
    if (md->n == 0) {
        modeldesc_free(md);
        return set_errf(err, errsz, "%s: no layers (empty model description)", path);
    }
    return 0;
}

void modeldesc_free(ModelDesc *md)
{
    if (!md) return;
    free(md->lines);
    md->lines = NULL;
    md->n = 0;
}

/* ---------------------------------------------------------------- stage two: builder */

typedef struct {
    Net *net;
    const char *path;
    char *err; size_t errsz;
    const MfLine *ml;            /* line being built (for messages) */
    int cap_nodes, cap_params, cap_t;
    int n_stage, n_inc;          /* counters naming ml{s} and inc{n} */
    int seen_conv;
} Builder;

int modelfile_verr(char *err, size_t errsz, const char *path, const MfLine *ml, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (ml) set_errf(err, errsz, "%s:%d: %s: %s", path, ml->lineno, ml->op, msg);
    else set_errf(err, errsz, "%s: %s", path, msg);
    return -1;
}

static int berr(Builder *b, const char *fmt, ...) MTA_PRINTF(2, 3);
static int berr(Builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    modelfile_verr(b->err, b->errsz, b->path, b->ml, fmt, ap);
    va_end(ap);
    return -1;
}

/* Integer key with a default (def < -1 means required). */
static int key_int(Builder *b, const char *key, long def, long lo, long hi, long *out)
{
    MfLine *ml = (MfLine *)b->ml;
    for (int i = 0; i < ml->nkeys; i++) {
        if (strcmp(ml->key[i], key)) continue;
        ml->used[i] = 1;
        long v;
        if (parse_long(ml->val[i], &v))
            return berr(b, "key '%s': '%s' is not an integer", key, ml->val[i]);
        if (v < lo || v > hi)
            return berr(b, "key '%s': %ld out of range %ld..%ld", key, v, lo, hi);
        *out = v;
        return 0;
    }
    if (def < -1) return berr(b, "missing key '%s'", key);
    *out = def;
    return 0;
}

static int key_double(Builder *b, const char *key, double def, double lo, double hi, double *out)
{
    MfLine *ml = (MfLine *)b->ml;
    for (int i = 0; i < ml->nkeys; i++) {
        if (strcmp(ml->key[i], key)) continue;
        ml->used[i] = 1;
        double v;
        if (parse_double(ml->val[i], &v))
            return berr(b, "key '%s': '%s' is not a number", key, ml->val[i]);
        if (!(v >= lo && v <= hi))
            return berr(b, "key '%s': %g out of range [%g, %g]", key, v, lo, hi);
        *out = v;
        return 0;
    }
    *out = def;
    return 0;
}

static int scale_ch(const Builder *b, long c)
{
    double v = floor((double)c * b->net->width + 0.5);
    return v < 1 ? 1 : (int)v;
}

/* A channel count: an integer scaled by the width multiplier, or the word `classes`.
 * required: missing key is an error; otherwise *out = -1 when absent. */
static int key_channels(Builder *b, const char *key, int required, int *out)
{
    MfLine *ml = (MfLine *)b->ml;
    for (int i = 0; i < ml->nkeys; i++) {
        if (strcmp(ml->key[i], key)) continue;
        ml->used[i] = 1;
        if (!strcmp(ml->val[i], "classes")) { *out = b->net->classes; return 0; }
        long v;
        if (parse_long(ml->val[i], &v) || v < 1 || v > 1000000)
            return berr(b, "key '%s': '%s' is not a channel count (a positive integer or 'classes')", key, ml->val[i]);
        *out = scale_ch(b, v);
        return 0;
    }
    if (required) return berr(b, "missing key '%s'", key);
    *out = -1;
    return 0;
}

static int key_word(Builder *b, const char *key, const char *const *choices, int *out)
{
    MfLine *ml = (MfLine *)b->ml;
    for (int i = 0; i < ml->nkeys; i++) {
        if (strcmp(ml->key[i], key)) continue;
        ml->used[i] = 1;
        char known[256] = "";
        for (int c = 0; choices[c]; c++) {
            if (!strcmp(ml->val[i], choices[c])) { *out = c; return 0; }
            strncat(known, c ? "|" : "", sizeof known - strlen(known) - 1);
            strncat(known, choices[c], sizeof known - strlen(known) - 1);
        }
        return berr(b, "key '%s': unknown value '%s' (expected %s)", key, ml->val[i], known);
    }
    return berr(b, "missing key '%s'", key);
}

static int check_unused(Builder *b, const char *known)
{
    const MfLine *ml = b->ml;
    for (int i = 0; i < ml->nkeys; i++)
        if (!ml->used[i])
            return berr(b, "unknown key '%s' (known: %s)", ml->key[i], known[0] ? known : "none");
    return 0;
}

static int add_tensor(Builder *b, Shape s)
{
    Net *n = b->net;
    if (n->n_tensors == b->cap_t) {
        b->cap_t = b->cap_t ? 2 * b->cap_t : 64;
        n->tshape = xrealloc(n->tshape, sizeof(Shape) * (size_t)b->cap_t);
    }
    n->tshape[n->n_tensors] = s;
    return n->n_tensors++;
}

/* Append a node reading tensors in[0..n_in) and producing a new tensor of shape out. */
static Node *add_node(Builder *b, OpKind op, const char *name, const int *in, int n_in, Shape out)
{
    Net *n = b->net;
    if (n->n_nodes == b->cap_nodes) {
        b->cap_nodes = b->cap_nodes ? 2 * b->cap_nodes : 64;
        n->nodes = xrealloc(n->nodes, sizeof(Node) * (size_t)b->cap_nodes);
    }
    Node *nd = &n->nodes[n->n_nodes++];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->entry = -1;
    nd->line = b->ml ? b->ml->lineno : 0;
    for (int i = 0; i < n_in; i++) nd->in[i] = in[i];
    nd->n_in = n_in;
    nd->in_shape = n->tshape[in[0]];
    nd->out_shape = out;
    nd->out = add_tensor(b, out);
    CHECK(nd->out == n->n_nodes, "tensor ids out of step: node %d wrote tensor %d", n->n_nodes - 1, nd->out);
    nd->pw = nd->pb = nd->pgamma = nd->pbeta = nd->pmean = nd->pvar = -1;
    return nd;
}

static int add_param(Builder *b, int node, const char *module, const char *field, ParamKind kind,
                     int ndim, const int *shape)
{
    Net *n = b->net;
    if (n->n_params == b->cap_params) {
        b->cap_params = b->cap_params ? 2 * b->cap_params : 64;
        n->params = xrealloc(n->params, sizeof(Param) * (size_t)b->cap_params);
    }
    Param *p = &n->params[n->n_params];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s.%s", module, field);
    p->kind = kind;
    p->node = node;
    p->ndim = ndim;
    p->numel = 1;
    for (int i = 0; i < ndim; i++) { p->shape[i] = shape[i]; p->numel *= (size_t)shape[i]; }
    p->off = n->pnumel;
    n->pnumel += p->numel;
    return n->n_params++;
}

/* Limits of what a model file may ask for: parameters (1 GiB of floats; the reference's
 * largest network, VGG_19 at full width, has 39 M) and values of one tensor per image. */
#define MF_MAX_PARAMS (1 << 28)
#define MF_MAX_TENSOR (1 << 26)

typedef struct { int out, k, stride, pad, groups, bias, bn; Act act; } ConvSpec;

/* Conv node `<prefix>conv<j>` (+ bn<j>, relu<j>/relus<j>) reading tensor x; returns the
 * output tensor id or -1. */
static int build_conv(Builder *b, const char *prefix, int j, int x, ConvSpec cs)
{
    Shape in = b->net->tshape[x];
    if (in.h == 1 && in.w == 1 && in.c > 1 && b->net->n_nodes > 0 &&
        b->net->nodes[b->net->n_nodes - 1].op == OP_FLATTEN)
        return berr(b, "conv after flatten (expected an image input)");
    if (cs.groups < 1 || in.c % cs.groups || cs.out % cs.groups)
        return berr(b, "groups=%d must divide the input channels (%d) and output channels (%d)",
                    cs.groups, in.c, cs.out);
    int ho = conv_out_dim(in.h, cs.k, cs.stride, cs.pad), wo = conv_out_dim(in.w, cs.k, cs.stride, cs.pad);
    if (in.h + 2 * cs.pad < cs.k || in.w + 2 * cs.pad < cs.k || ho < 1 || wo < 1)
        return berr(b, "kernel %d larger than the padded input %dx%d (pad %d)", cs.k, in.h, in.w, cs.pad);
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "%sconv%d", prefix, j);
    Node *nd = add_node(b, OP_CONV, name, &x, 1, (Shape){cs.out, ho, wo});
    int id = b->net->n_nodes - 1;
    nd->k = cs.k; nd->stride = cs.stride; nd->pad = cs.pad; nd->groups = cs.groups;
    nd->has_bias = cs.bias; nd->has_bn = cs.bn; nd->act = cs.act;
    nd->first = !b->seen_conv;
    b->seen_conv = 1;
    int wshape[4] = {cs.out, in.c / cs.groups, cs.k, cs.k};
    nd->pw = add_param(b, id, name, "weight", PARAM_WEIGHT, 4, wshape);
    if (cs.bias) nd->pb = add_param(b, id, name, "bias", PARAM_BIAS, 1, &cs.out);
    if (cs.bn) {
        snprintf(nd->bn_name, sizeof nd->bn_name, "%sbn%d", prefix, j);
        nd->pgamma = add_param(b, id, nd->bn_name, "weight", PARAM_BN_GAMMA, 1, &cs.out);
        nd->pbeta = add_param(b, id, nd->bn_name, "bias", PARAM_BN_BETA, 1, &cs.out);
        nd->pmean = add_param(b, id, nd->bn_name, "running_mean", PARAM_BN_MEAN, 1, &cs.out);
        nd->pvar = add_param(b, id, nd->bn_name, "running_var", PARAM_BN_VAR, 1, &cs.out);
        if (cs.act != ACT_NONE)
            snprintf(nd->act_name, sizeof nd->act_name, "%s%s%d", prefix,
                     cs.act == ACT_RELU ? "relu" : "relus", j);
    }
    return nd->out;
}

static int build_simple(Builder *b, OpKind op, const char *name, int x, Shape out)
{
    add_node(b, op, name, &x, 1, out);
    return b->net->n_nodes;
}

static int build_maxpool(Builder *b, const char *name, int x, int k, int stride, int pad)
{
    Shape in = b->net->tshape[x];
    if (2 * pad > k) return berr(b, "pad=%d must be at most half the kernel size %d", pad, k);
    int ho = conv_out_dim(in.h, k, stride, pad), wo = conv_out_dim(in.w, k, stride, pad);
    if (in.h + 2 * pad < k || in.w + 2 * pad < k || ho < 1 || wo < 1)
        return berr(b, "window %d larger than the padded input %dx%d", k, in.h, in.w);
    Node *nd = add_node(b, OP_MAXPOOL, name, &x, 1, (Shape){in.c, ho, wo});
    nd->k = k; nd->stride = stride; nd->pad = pad;
    return nd->out;
}

/* ---------------------------------------------------------------- ops */

typedef int (*BuildFn)(Builder *b, int entry, int x);

static int op_conv_common(Builder *b, int entry, int x, int bn, Act act)
{
    long k, stride, pad, groups, bias;
    ConvSpec cs;
    if (key_channels(b, "out", 1, &cs.out) || key_int(b, "k", -2, 1, 64, &k) ||
        key_int(b, "stride", 1, 1, 64, &stride) || key_int(b, "pad", 0, 0, 64, &pad) ||
        key_int(b, "groups", 1, 1, 1000000, &groups) || key_int(b, "bias", 1, 0, 1, &bias) ||
        check_unused(b, "out k stride pad groups bias"))
        return -1;
    cs.k = (int)k; cs.stride = (int)stride; cs.pad = (int)pad; cs.groups = (int)groups;
    cs.bias = (int)bias; cs.bn = bn; cs.act = act;
    return build_conv(b, "", entry, x, cs);
}

static int op_conv(Builder *b, int e, int x) { return op_conv_common(b, e, x, 0, ACT_NONE); }
static int op_conv_bn(Builder *b, int e, int x) { return op_conv_common(b, e, x, 1, ACT_NONE); }
static int op_conv_bn_relu(Builder *b, int e, int x) { return op_conv_common(b, e, x, 1, ACT_RELU); }
static int op_conv_bn_relu6(Builder *b, int e, int x) { return op_conv_common(b, e, x, 1, ACT_RELU6); }

static int op_act(Builder *b, int e, int x, OpKind op, const char *base)
{
    if (check_unused(b, "")) return -1;
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "%s%d", base, e);
    return build_simple(b, op, name, x, b->net->tshape[x]);
}
static int op_relu(Builder *b, int e, int x) { return op_act(b, e, x, OP_RELU, "relu"); }
static int op_relu6(Builder *b, int e, int x) { return op_act(b, e, x, OP_RELU6, "relus"); }

static int op_maxpool(Builder *b, int e, int x)
{
    long k, stride, pad;
    if (key_int(b, "k", -2, 1, 64, &k) || key_int(b, "stride", k, 1, 64, &stride) ||
        key_int(b, "pad", 0, 0, 32, &pad) || check_unused(b, "k stride pad"))
        return -1;
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "pool%d", e);
    return build_maxpool(b, name, x, (int)k, (int)stride, (int)pad);
}

static int op_avgpool(Builder *b, int e, int x)
{
    long out;
    if (key_int(b, "out", 1, 1, 1, &out) || check_unused(b, "out (only 1)")) return -1;
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "aap%d", e);
    Shape in = b->net->tshape[x];
    return build_simple(b, OP_AVGPOOL, name, x, (Shape){in.c, 1, 1});
}

static int op_flatten(Builder *b, int e, int x)
{
    if (check_unused(b, "")) return -1;
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "flatten%d", e);
    if (shape_numel(b->net->tshape[x]) > MF_MAX_TENSOR)
        return berr(b, "flatten of %zu values per image (more than %d)", shape_numel(b->net->tshape[x]), MF_MAX_TENSOR);
    return build_simple(b, OP_FLATTEN, name, x, (Shape){(int)shape_numel(b->net->tshape[x]), 1, 1});
}

static int op_dropout(Builder *b, int e, int x)
{
    double p = 0.5;
    if (key_double(b, "p", 0.5, 0.0, 0.999, &p) || check_unused(b, "p")) return -1;
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "drop%d", e);
    int y = build_simple(b, OP_DROPOUT, name, x, b->net->tshape[x]);
    b->net->nodes[b->net->n_nodes - 1].p = (float)p;
    return y;
}

static int op_softmax(Builder *b, int e, int x)
{
    if (check_unused(b, "")) return -1;
    Shape in = b->net->tshape[x];
    if (in.h != 1 || in.w != 1) return berr(b, "softmax needs a flattened input (add a 'flatten' line)");
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "softmax%d", e);
    return build_simple(b, OP_SOFTMAX, name, x, in);
}

static int op_linear(Builder *b, int e, int x)
{
    int out;
    long bias;
    if (key_channels(b, "out", 1, &out) || key_int(b, "bias", 1, 0, 1, &bias) ||
        check_unused(b, "out bias"))
        return -1;
    Shape in = b->net->tshape[x];
    if (in.h != 1 || in.w != 1)
        return berr(b, "linear needs a flattened input, got %dx%dx%d (add a 'flatten' line)", in.c, in.h, in.w);
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "fc%d", e);
    Node *nd = add_node(b, OP_LINEAR, name, &x, 1, (Shape){out, 1, 1});
    int id = b->net->n_nodes - 1;
    nd->has_bias = (int)bias;
    int ws[2] = {out, in.c};
    nd->pw = add_param(b, id, name, "weight", PARAM_WEIGHT, 2, ws);
    if (bias) nd->pb = add_param(b, id, name, "bias", PARAM_BIAS, 1, &out);
    return nd->out;
}

static int op_inception(Builder *b, int e, int x)
{
    (void)e;
    int c1, c3r, c3, c5r, c5, pp;
    if (key_channels(b, "c1", 1, &c1) || key_channels(b, "c3r", 1, &c3r) ||
        key_channels(b, "c3", 1, &c3) || key_channels(b, "c5r", 1, &c5r) ||
        key_channels(b, "c5", 1, &c5) || key_channels(b, "pool", 1, &pp) ||
        check_unused(b, "c1 c3r c3 c5r c5 pool"))
        return -1;
    int n = b->n_inc++;
    char pre[48], name[NAME_MAX_LEN];
    int outs[4];
    ConvSpec cs = {0, 1, 1, 0, 1, 0, 1, ACT_RELU};
    /* br0: 1x1 */
    snprintf(pre, sizeof pre, "inc%d_br0_", n);
    cs.out = c1; cs.k = 1; cs.pad = 0;
    if ((outs[0] = build_conv(b, pre, 0, x, cs)) < 0) return -1;
    /* br1: 1x1 reduce, 3x3 */
    snprintf(pre, sizeof pre, "inc%d_br1_", n);
    cs.out = c3r; cs.k = 1; cs.pad = 0;
    int t = build_conv(b, pre, 0, x, cs);
    if (t < 0) return -1;
    cs.out = c3; cs.k = 3; cs.pad = 1;
    if ((outs[1] = build_conv(b, pre, 1, t, cs)) < 0) return -1;
    /* br2: 1x1 reduce, 5x5 */
    snprintf(pre, sizeof pre, "inc%d_br2_", n);
    cs.out = c5r; cs.k = 1; cs.pad = 0;
    if ((t = build_conv(b, pre, 0, x, cs)) < 0) return -1;
    cs.out = c5; cs.k = 5; cs.pad = 2;
    if ((outs[2] = build_conv(b, pre, 1, t, cs)) < 0) return -1;
    /* br3: maxpool 3/1/1, relu, 1x1 */
    snprintf(pre, sizeof pre, "inc%d_br3_", n);
    snprintf(name, sizeof name, "%spool0", pre);
    if ((t = build_maxpool(b, name, x, 3, 1, 1)) < 0) return -1;
    snprintf(name, sizeof name, "%srelu1", pre);
    t = build_simple(b, OP_RELU, name, t, b->net->tshape[t]);
    cs.out = pp; cs.k = 1; cs.pad = 0;
    if ((outs[3] = build_conv(b, pre, 2, t, cs)) < 0) return -1;
    Shape s0 = b->net->tshape[outs[0]];
    snprintf(name, sizeof name, "inc%d_concat", n);
    add_node(b, OP_CONCAT, name, outs, 4, (Shape){c1 + c3 + c5 + pp, s0.h, s0.w});
    return b->net->n_nodes;
}

enum { BLK_BASIC, BLK_BOTTLENECK, BLK_INVERTED };
static const char *const block_names[] = {"basic", "bottleneck", "inverted", NULL};

/* One residual block; returns the output tensor or -1. */
static int build_block(Builder *b, int type, int s, int k, int x, int mid, int out, int expand, int stride)
{
    char pre[48], name[NAME_MAX_LEN];
    int cin = b->net->tshape[x].c;
    int y, shortcut = x, has_add;
    snprintf(pre, sizeof pre, "ml%d_blk%d_ma_", s, k);
    if (type == BLK_BASIC) {
        ConvSpec c0 = {out, 3, stride, 1, 1, 0, 1, ACT_RELU}, c1 = {out, 3, 1, 1, 1, 0, 1, ACT_NONE};
        if ((y = build_conv(b, pre, 0, x, c0)) < 0 || (y = build_conv(b, pre, 1, y, c1)) < 0) return -1;
    } else if (type == BLK_BOTTLENECK) {
        ConvSpec c0 = {mid, 1, 1, 0, 1, 0, 1, ACT_RELU}, c1 = {mid, 3, stride, 1, 1, 0, 1, ACT_RELU},
                 c2 = {out, 1, 1, 0, 1, 0, 1, ACT_NONE};
        if ((y = build_conv(b, pre, 0, x, c0)) < 0 || (y = build_conv(b, pre, 1, y, c1)) < 0 ||
            (y = build_conv(b, pre, 2, y, c2)) < 0)
            return -1;
    } else {
        int hid = cin * expand;
        ConvSpec c0 = {hid, 1, 1, 0, 1, 1, 1, ACT_RELU6}, c1 = {hid, 3, stride, 1, hid, 1, 1, ACT_RELU6},
                 c2 = {out, 1, 1, 0, 1, 1, 1, ACT_NONE};
        if ((y = build_conv(b, pre, 0, x, c0)) < 0 || (y = build_conv(b, pre, 1, y, c1)) < 0 ||
            (y = build_conv(b, pre, 2, y, c2)) < 0)
            return -1;
    }
    if (type == BLK_INVERTED) {
        has_add = stride == 1 && cin == out;
    } else {
        has_add = 1;
        if (stride != 1 || cin != out) {
            snprintf(pre, sizeof pre, "ml%d_blk%d_ds_", s, k);
            ConvSpec ds = {out, 1, stride, 0, 1, 0, 1, ACT_NONE};
            if ((shortcut = build_conv(b, pre, 0, x, ds)) < 0) return -1;
        }
    }
    if (has_add) {
        Shape sy = b->net->tshape[y], ss = b->net->tshape[shortcut];
        if (sy.c != ss.c || sy.h != ss.h || sy.w != ss.w)
            return berr(b, "block %d: shortcut %dx%dx%d does not match main path %dx%dx%d", k,
                        ss.c, ss.h, ss.w, sy.c, sy.h, sy.w);
        int in2[2] = {y, shortcut};
        snprintf(name, sizeof name, "ml%d_blk%d_add0", s, k);
        add_node(b, OP_ADD, name, in2, 2, sy);
        y = b->net->n_nodes;
    }
    if (type != BLK_INVERTED) {
        snprintf(name, sizeof name, "ml%d_blk%d_relu1", s, k);
        y = build_simple(b, OP_RELU, name, y, b->net->tshape[y]);
    }
    return y;
}

static int op_stage(Builder *b, int e, int x)
{
    (void)e;
    int type = 0, out, mid = -1;
    long blocks, expand = 0, stride;
    if (key_word(b, "block", block_names, &type) || key_int(b, "blocks", -2, 1, 1000, &blocks) ||
        key_channels(b, "out", 1, &out) || key_int(b, "stride", 1, 1, 8, &stride) ||
        (type == BLK_BOTTLENECK && key_channels(b, "mid", 1, &mid)) ||
        (type == BLK_INVERTED && key_int(b, "expand", -2, 1, 64, &expand)))
        return -1;
    if (type == BLK_BASIC && check_unused(b, "block blocks out stride")) return -1;
    if (type == BLK_BOTTLENECK && check_unused(b, "block blocks mid out stride")) return -1;
    if (type == BLK_INVERTED && check_unused(b, "block blocks out expand stride")) return -1;
    Shape in = b->net->tshape[x];
    if (in.h == 1 && in.w == 1 && b->net->n_nodes && b->net->nodes[b->net->n_nodes - 1].op == OP_FLATTEN)
        return berr(b, "stage after flatten (expected an image input)");
    int s = b->n_stage++;
    for (int k = 0; k < blocks; k++) {
        x = build_block(b, type, s, k, x, mid, out, (int)expand, k == 0 ? (int)stride : 1);
        if (x < 0) return -1;
    }
    return x;
}

typedef struct { const char *name; BuildFn fn; } OpEntry;

static const OpEntry op_table[] = {
    {"conv", op_conv},           {"conv_bn", op_conv_bn},     {"conv_bn_relu", op_conv_bn_relu},
    {"conv_bn_relu6", op_conv_bn_relu6},
    {"relu", op_relu},           {"relu6", op_relu6},         {"maxpool", op_maxpool},
    {"avgpool", op_avgpool},     {"flatten", op_flatten},     {"dropout", op_dropout},
    {"linear", op_linear},       {"softmax", op_softmax},     {"inception", op_inception},
    {"stage", op_stage},
};
#define N_OPS ((int)(sizeof op_table / sizeof op_table[0]))

Net *net_build(const char *path, const char *name, const char *text, Shape input, int classes,
               double width, char *err, size_t errsz)
{
    ModelDesc md;
    if (!(width > 0 && width <= 64)) {
        set_errf(err, errsz, "%s: width multiplier %g out of range (0, 64]", path, width);
        return NULL;
    }
    if (classes < 0 || input.c < 1 || input.h < 1 || input.w < 1) {
        set_errf(err, errsz, "%s: bad input shape %dx%dx%d or class count %d", path, input.c, input.h,
                input.w, classes);
        return NULL;
    }
    if (modelfile_parse(path, text, &md, err, errsz)) return NULL;
    Net *net = xcalloc(1, sizeof *net);
    snprintf(net->model_name, sizeof net->model_name, "%s", name);
    net->model_text = xstrdup(text);
    net->width = width;
    net->classes = classes;
    net->input = input;
    Builder b = {.net = net, .path = path, .err = err, .errsz = errsz};
    int x = add_tensor(&b, input);
    for (int i = 0; i < md.n; i++) {
        b.ml = &md.lines[i];
        const OpEntry *op = NULL;
        for (int j = 0; j < N_OPS; j++)
            if (!strcmp(op_table[j].name, b.ml->op)) op = &op_table[j];
        if (!op) {
            berr(&b, "unknown op (known: conv conv_bn conv_bn_relu conv_bn_relu6 relu relu6 maxpool "
                     "avgpool flatten dropout linear softmax inception stage)");
            goto fail;
        }
        int first_node = net->n_nodes, first_tensor = net->n_tensors;
        x = op->fn(&b, i, x);
        if (x < 0) goto fail;
        for (int t = first_tensor; t < net->n_tensors; t++)   /* sizes a machine can hold */
            if (net->tshape[t].c < 1 || net->tshape[t].h < 1 || net->tshape[t].w < 1 || shape_numel(net->tshape[t]) > MF_MAX_TENSOR) {
                berr(&b, "a tensor of %dx%dx%d values per image (empty, or more than %d)", net->tshape[t].c, net->tshape[t].h,
                     net->tshape[t].w, MF_MAX_TENSOR);
                goto fail;
            }
        if (net->pnumel > MF_MAX_PARAMS) {
            berr(&b, "the network has %zu parameters so far, more than %d (%d GiB of floats)", net->pnumel, MF_MAX_PARAMS,
                 (int)(((size_t)MF_MAX_PARAMS * 4) >> 30));
            goto fail;
        }
        for (int j = first_node; j < net->n_nodes; j++) net->nodes[j].entry = i;
    }
    b.ml = NULL;
    Shape o = net->tshape[x];
    if (classes == 0) {
        net->classes = (int)shape_numel(o);   /* a fragment (tests): any output shape */
    } else if (o.c != classes || o.h != 1 || o.w != 1) {
        set_errf(err, errsz, "%s: the network ends with shape %dx%dx%d, expected %d classes x 1 x 1 "
                "(end with 'linear out=classes', or a conv with out=classes and a flatten)",
                path, o.c, o.h, o.w, classes);
        goto fail;
    }
    net->pdata = xcalloc(net->pnumel, sizeof(float));
    modeldesc_free(&md);
    return net;
fail:
    modeldesc_free(&md);
    net_free(net);
    return NULL;
}

/* ---------------------------------------------------------------- files */

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The models folder of the source tree the running binary was built in (build/mta ->
 * experiments/models), or "" when it cannot be found. */
static void models_near_exe(char *dir, size_t n)
{
    char exe[2048];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    dir[0] = 0;
    if (len <= 0) return;
    exe[len] = 0;
    for (int up = 0; up < 2; up++) {   /* strip the file name, then build/ (or build-san/) */
        char *slash = strrchr(exe, '/');
        if (!slash) return;
        *slash = 0;
    }
    if (strlen(exe) + 20 < n) snprintf(dir, n, "%.2000s/experiments/models", exe);
}

/* Lower case without '_' and '-': "ResNet_18" and "resnet18" compare equal. */
static void squash(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        if (*s != '_' && *s != '-') out[k++] = (char)tolower((unsigned char)*s);
    out[k] = 0;
}

/* " (did you mean ResNet_18?)" when a model file in dirs is a near miss of arg (case, '_',
 * up to two edits), else "". */
static void suggest_model(const char *arg, const char *const *dirs, int ndirs, char *hint, size_t n)
{
    char want[128], have[128], best[64] = "";
    int bd = 3;
    squash(arg, want, sizeof want);
    for (int k = 0; k < ndirs; k++) {
        DIR *d = dirs[k] ? opendir(dirs[k]) : NULL;
        for (struct dirent *e; d && (e = readdir(d));) {
            size_t len = strlen(e->d_name);
            if (len <= 6 || len > 60 || strcmp(e->d_name + len - 6, ".model")) continue;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len - 6), e->d_name);
            squash(name, have, sizeof have);
            int dist = edit_distance(want, have);
            if (dist < bd) { bd = dist; snprintf(best, sizeof best, "%s", name); }
        }
        if (d) closedir(d);
    }
    if (best[0]) snprintf(hint, n, " (did you mean %s?)", best);
}

int model_resolve(const char *arg, char *out, size_t outsz, char *name, size_t namesz, char *err, size_t errsz)
{
    char cand[8192], near[4096];
    const char *dir = getenv("MTA_MODELS");
    models_near_exe(near, sizeof near);
    if (is_file(arg)) snprintf(out, outsz, "%s", arg);
    else if (snprintf(cand, sizeof cand, "experiments/models/%s.model", arg) < (int)sizeof cand && is_file(cand))
        snprintf(out, outsz, "%s", cand);
    else if (dir && snprintf(cand, sizeof cand, "%s/%s.model", dir, arg) < (int)sizeof cand && is_file(cand))
        snprintf(out, outsz, "%s", cand);
    else if (near[0] && snprintf(cand, sizeof cand, "%s/%s.model", near, arg) < (int)sizeof cand && is_file(cand))
        snprintf(out, outsz, "%s", cand);
    else {
        char hint[160] = "";
        const char *dirs[3] = {"experiments/models", dir, near[0] ? near : NULL};
        suggest_model(arg, dirs, 3, hint, sizeof hint);
        return set_errf(err, errsz, "model '%s': no such file, and no experiments/models/%s.model%s%s", arg, arg,
                       dir ? " nor one in $MTA_MODELS" : "", hint);
    }
    const char *base = strrchr(out, '/');
    base = base ? base + 1 : out;
    size_t len = strlen(base);
    if (len > 6 && !strcmp(base + len - 6, ".model")) len -= 6;
    if (len >= namesz) len = namesz - 1;
    memcpy(name, base, len);
    name[len] = 0;
    return 0;
}

Net *net_load_model(const char *arg, Shape input, int classes, double width)
{
    char path[4096], name[64], err[1024];
    if (model_resolve(arg, path, sizeof path, name, sizeof name, err, sizeof err)) die("%s", err);
    char *text = read_text_file(path, err, sizeof err);
    if (!text) die("%s", err);
    Net *net = net_build(path, name, text, input, classes, width, err, sizeof err);
    free(text);
    if (!net) die("%s", err);
    return net;
}
