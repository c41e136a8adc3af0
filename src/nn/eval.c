/* eval.c — accuracy evaluation (see eval.h). */
#include "nn/eval.h"

#include <stdlib.h>

#include "base/check.h"

int argmax_first(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

int eval_batch_size(const Net *net, int want, size_t budget_bytes)
{
    size_t per = net_act_bytes_per_sample(net);
    size_t fit = per ? budget_bytes / per : (size_t)want;
    int b = fit < (size_t)want ? (int)fit : want;
    return b < 1 ? 1 : b;
}

double accuracy_with(ForwardFn fwd, void *ctx, const Net *net, const Dataset *ds, const ImageSet *s,
                     const int *idx, int n, Progress *prog)
{
    int bmax = net->max_batch, correct = 0;
    float *x = xmalloc(shape_numel(net->input) * (size_t)bmax * sizeof(float));
    int *y = xmalloc(sizeof(int) * (size_t)bmax);
    for (int i = 0; i < n; i += bmax) {
        int m = n - i < bmax ? n - i : bmax;
        dataset_batch(ds, s, idx + i, m, x, y);
        const float *out = fwd(ctx, x, m);
        for (int j = 0; j < m; j++) correct += argmax_first(out + (size_t)j * net->classes, net->classes) == y[j];
        if (prog) progress_update(prog, i + m);
    }
    free(x);
    free(y);
    return n ? 100.0 * correct / n : 0.0;
}

static const float *net_fwd(void *ctx, const float *x, int n) { return net_forward(ctx, x, n); }

double net_accuracy(Net *net, const Dataset *ds, const ImageSet *s, const int *idx, int n, Progress *prog)
{
    return accuracy_with(net_fwd, net, net, ds, s, idx, n, prog);
}
