/* checkpoint.c — safetensors checkpoints of networks (see checkpoint.h). */
#include "nn/checkpoint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"
#include "io/safetensors.h"
#include "nn/modelfile.h"

#define CKPT_FORMAT "mta-checkpoint/1"

static int fail(char *err, size_t errsz, const char *fmt, ...) MTA_PRINTF(3, 4);
static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

static void fmt_floats(char *buf, size_t n, const float *v, int k)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < k && len < n; i++) len += (size_t)snprintf(buf + len, n - len, "%s%.9g", i ? "," : "", v[i]);
}

int ckpt_save(const Net *net, const CkptInfo *info, const char *path, char *err, size_t errsz)
{
    StWriter w;
    st_writer_init(&w);
    char buf[256];
    st_writer_meta(&w, "format", CKPT_FORMAT);
    st_writer_meta(&w, "model_name", net->model_name);
    st_writer_meta(&w, "model_text", net->model_text);
    snprintf(buf, sizeof buf, "%d", net->classes);
    st_writer_meta(&w, "classes", buf);
    snprintf(buf, sizeof buf, "%dx%dx%d", net->input.c, net->input.h, net->input.w);
    st_writer_meta(&w, "input", buf);
    snprintf(buf, sizeof buf, "%.17g", net->width);
    st_writer_meta(&w, "width", buf);
    if (info) {
        st_writer_meta(&w, "dataset", info->dataset);
        if (info->has_norm) {
            fmt_floats(buf, sizeof buf, info->mean, net->input.c);
            st_writer_meta(&w, "norm_mean", buf);
            fmt_floats(buf, sizeof buf, info->std, net->input.c);
            st_writer_meta(&w, "norm_std", buf);
        }
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)info->seed);
        st_writer_meta(&w, "seed", buf);
        if (info->has_aug) {
            snprintf(buf, sizeof buf, "%d", info->aug.crop_pad);
            st_writer_meta(&w, "aug_crop_pad", buf);
            snprintf(buf, sizeof buf, "%d", info->aug.flip);
            st_writer_meta(&w, "aug_flip", buf);
        }
        if (info->epoch > 0) {
            snprintf(buf, sizeof buf, "%d", info->epoch);
            st_writer_meta(&w, "epoch", buf);
            snprintf(buf, sizeof buf, "%.2f", info->val_acc);
            st_writer_meta(&w, "val_acc", buf);
            snprintf(buf, sizeof buf, "%.2f", info->test_acc);
            st_writer_meta(&w, "test_acc", buf);
            snprintf(buf, sizeof buf, "%d", info->val_images);
            st_writer_meta(&w, "val_images", buf);
            snprintf(buf, sizeof buf, "%d", info->test_images);
            st_writer_meta(&w, "test_images", buf);
        }
    }
    EnvInfo env = env_info(net->threads > 0 ? net->threads : 1);   /* what produced these floats */
    for (int k = 0; k < ENV_NFIELDS; k++) st_writer_meta(&w, env_field_names[k], env_field_value(&env, k, buf, sizeof buf));
    for (int i = 0; i < net->n_params; i++) {
        const Param *p = &net->params[i];
        int64_t shape[4];
        for (int d = 0; d < p->ndim; d++) shape[d] = p->shape[d];
        st_writer_add(&w, p->name, ST_F32, p->ndim, shape, net->pdata + p->off);
        if (p->kind == PARAM_BN_VAR) {
            char name[NAME_MAX_LEN + 32];
            snprintf(name, sizeof name, "%s.num_batches_tracked", net->nodes[p->node].bn_name);
            st_writer_add(&w, name, ST_I64, 0, NULL, &net->bn_batches);
        }
    }
    int rc = st_write(&w, path, err, errsz);
    st_writer_free(&w);
    return rc;
}

static int parse_floats(const char *s, float *v, int k)
{
    for (int i = 0; i < k; i++) {
        char *end;
        v[i] = strtof(s, &end);
        if (end == s) return -1;
        s = end;
        if (i + 1 < k) {
            if (*s != ',') return -1;
            s++;
        }
    }
    return *s ? -1 : 0;
}

static int read_meta(const StFile *f, const char *path, char *model_name, size_t mnsz, Shape *input, int *classes,
                     double *width, CkptInfo *info, char *err, size_t errsz)
{
    const char *name = st_meta(f, "model_name"), *cls = st_meta(f, "classes"), *in = st_meta(f, "input"),
               *wd = st_meta(f, "width");
    if (!name || !cls || !in || !wd || !st_meta(f, "model_text"))
        return fail(err, errsz, "%s: mta metadata incomplete (need model_name, model_text, classes, input, width)", path);
    long c;
    if (parse_long(cls, &c) || c < 1) return fail(err, errsz, "%s: metadata classes='%s' is not a positive integer", path, cls);
    if (sscanf(in, "%dx%dx%d", &input->c, &input->h, &input->w) != 3 || input->c < 1 || input->c > 3 ||
        input->h < 1 || input->w < 1)
        return fail(err, errsz, "%s: metadata input='%s' is not CxHxW with 1..3 channels", path, in);
    if (parse_double(wd, width)) return fail(err, errsz, "%s: metadata width='%s' is not a number", path, wd);
    *classes = (int)c;
    snprintf(model_name, mnsz, "%s", name);
    if (info) {
        const char *ds = st_meta(f, "dataset"), *mean = st_meta(f, "norm_mean"), *std = st_meta(f, "norm_std");
        snprintf(info->dataset, sizeof info->dataset, "%s", ds ? ds : "");
        info->has_norm = 0;
        if (mean && std) {
            if (parse_floats(mean, info->mean, input->c) || parse_floats(std, info->std, input->c))
                return fail(err, errsz, "%s: metadata norm_mean/norm_std are not %d comma-separated numbers", path, input->c);
            info->has_norm = 1;
        }
        const char *seed = st_meta(f, "seed");
        info->seed = seed ? strtoull(seed, NULL, 10) : 0;
        const char *cp = st_meta(f, "aug_crop_pad"), *fl = st_meta(f, "aug_flip");
        long c, fv;
        if (cp && fl) {
            if (parse_long(cp, &c) || c < 0 || c > 64 || parse_long(fl, &fv) || fv < 0 || fv > 1)
                return fail(err, errsz, "%s: metadata aug_crop_pad='%s' aug_flip='%s' are not a padding 0..64 and 0|1", path, cp, fl);
            info->has_aug = 1;
            info->aug.crop_pad = (int)c;
            info->aug.flip = (int)fv;
        }
    }
    return 0;
}

static int load_tensors(Net *net, const StFile *f, const char *path, char *err, size_t errsz)
{
    for (int i = 0; i < net->n_params; i++) {
        const Param *p = &net->params[i];
        const StTensor *t = st_find(f, p->name);
        if (!t) return fail(err, errsz, "%s: tensor '%s' missing (the model needs it)", path, p->name);
        int same = t->rank == p->ndim;
        for (int d = 0; same && d < p->ndim; d++) same = t->shape[d] == p->shape[d];
        if (!same) {
            char want[64] = "", got[128] = "";
            for (int d = 0; d < p->ndim; d++) snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? "," : "", p->shape[d]);
            for (int d = 0; d < t->rank && strlen(got) < 100; d++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "," : "", (long long)t->shape[d]);
            return fail(err, errsz, "%s: tensor '%s' has shape [%s], the model expects [%s]", path, p->name, got, want);
        }
        if (st_read_f32(f, t, net->pdata + p->off))
            return fail(err, errsz, "%s: tensor '%s' has dtype %s, expected F32 (or F64/F16/BF16)", path, p->name, t->dtype_name);
    }
    net->bn_batches = 0;
    for (size_t i = 0; i < f->ntensors; i++) {
        const StTensor *t = &f->tensors[i];
        const char *suffix = ".num_batches_tracked";
        size_t n = strlen(t->name), m = strlen(suffix);
        if (n > m && !strcmp(t->name + n - m, suffix)) {
            int64_t v;
            if (t->numel != 1 || st_read_i64(f, t, &v))
                return fail(err, errsz, "%s: tensor '%s' must be one integer", path, t->name);
            net->bn_batches = v;
            continue;
        }
        if (net_find_param(net, t->name) < 0)
            return fail(err, errsz, "%s: unexpected tensor '%s' (not a parameter of model %s)", path, t->name, net->model_name);
    }
    return 0;
}

Net *ckpt_load(const char *path, const char *model, double width, Shape input, int classes, CkptInfo *info,
               char *err, size_t errsz)
{
    StFile f;
    if (st_read(path, &f, err, errsz)) return NULL;
    Net *net = NULL;
    const char *fmt = st_meta(&f, "format");
    if (info) memset(info, 0, sizeof *info);
    if (fmt && !strcmp(fmt, CKPT_FORMAT)) {
        if (info) info->has_meta = 1;
        char name[64];
        if (read_meta(&f, path, name, sizeof name, &input, &classes, &width, info, err, errsz)) goto out;
        char where[4200];
        snprintf(where, sizeof where, "%s:model_text", path);
        net = net_build(where, name, st_meta(&f, "model_text"), input, classes, width, err, errsz);
    } else if (fmt) {
        fail(err, errsz, "%s: unknown checkpoint format '%s' (this mta reads %s)", path, fmt, CKPT_FORMAT);
        goto out;
    } else {
        if (!model) {
            fail(err, errsz, "%s: no mta metadata (a PyTorch export?); pass --model NAME and --width W", path);
            goto out;
        }
        net = net_load_model(model, input, classes, width);
    }
    if (info)
        for (int k = 0; k < ENV_NFIELDS; k++) {
            const char *v = st_meta(&f, env_field_names[k]);
            snprintf(info->env[k], sizeof info->env[k], "%s", v ? v : "");
        }
    if (net && load_tensors(net, &f, path, err, errsz)) {
        net_free(net);
        net = NULL;
    }
out:
    st_free(&f);
    return net;
}
