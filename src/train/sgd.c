/* sgd.c — SGD step and learning-rate schedule (see sgd.h). */
#include "train/sgd.h"

#include <math.h>

#include "train/backprop.h"

void sgd_step(Net *net, const float *grad, float *velocity, const SgdConfig *c, float lr, int first_step)
{
    for (int i = 0; i < net->n_params; i++) {
        const Param *p = &net->params[i];
        if (!param_trainable(p)) continue;
        float *w = net->pdata + p->off, *v = velocity + p->off;
        const float *g = grad + p->off;
        /* fused multiply-adds where PyTorch's vectorized add(alpha=) uses them */
        for (size_t j = 0; j < p->numel; j++) {
            float d = fmaf(c->weight_decay, w[j], g[j]);
            v[j] = first_step ? d : c->momentum * v[j] + d;
            float step = c->nesterov ? fmaf(c->momentum, v[j], d) : v[j];
            w[j] = fmaf(-lr, step, w[j]);
        }
    }
}

float lr_at(const LrSchedule *s, int epoch, int batch, int nb)
{
    if (epoch == 1 && s->warmup) return (float)((double)s->lr * batch / (nb + 1e-8));
    if (s->kind != LR_STEP) {
        int first = s->warmup ? 2 : 1;
        double total = (double)(s->epochs - first + 1) * nb;
        double t = total > 0 ? ((double)(epoch - first) * nb + batch) / total : 0;
        if (t < 0) t = 0;
        if (t > 1) t = 1;
        return (float)(s->kind == LR_COSINE ? s->lr * 0.5 * (1 + cos(3.14159265358979323846 * t)) : s->lr * (1 - t));
    }
    float lr = s->lr;
    for (int i = 0; i < s->n_milestones; i++)
        if (s->milestones[i] <= epoch - 1) lr *= s->gamma;
    return lr;
}
