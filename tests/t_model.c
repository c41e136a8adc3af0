/* t_model.c — model language, network expansion and complexity counts.
 * The expected counts are the reference's recorded totals (spec ptq-engine §1.8). */
#include <string.h>

#include "base/check.h"
#include "nn/modelfile.h"
#include "nn/stats.h"
#include "tap.h"

typedef struct { const char *model; int classes; long long params, macs; int modules, layers; } Ref;

static const Ref refs[] = {
    {"AlexNet", 10, 3868746, 70082570, 20, 8},        {"AlexNet_BN", 10, 3870218, 70262794, 25, 8},
    {"VGG_16", 10, 33646666, 333359114, 51, 16},      {"VGG_19", 10, 38958922, 418400266, 60, 19},
    {"Inception_BN", 10, 5878442, 1463741450, 188, 57}, {"ResNet_18", 10, 11173962, 557216778, 59, 21},
    {"ResNet_50", 10, 23520842, 1307668490, 157, 54}, {"ResNet_152", 10, 58156618, 3743182858LL, 463, 156},
    {"MobileNetV2", 10, 2254090, 68317178, 144, 54},
    {"AlexNet", 100, 3914916, 70128740, 20, 8},       {"AlexNet_BN", 100, 3916388, 70308964, 25, 8},
    {"VGG_16", 100, 34015396, 333727844, 51, 16},     {"VGG_19", 100, 39327652, 418768996, 60, 19},
    {"Inception_BN", 100, 5970692, 1463833700, 188, 57}, {"ResNet_18", 100, 11220132, 557262948, 59, 21},
    {"ResNet_50", 100, 23705252, 1307852900, 157, 54}, {"ResNet_152", 100, 58341028, 3743367268LL, 463, 156},
    {"MobileNetV2", 100, 2369380, 68432468, 144, 54},
};

static Net *build_text(const char *text, Shape in, int classes, double width, char *err, size_t errsz)
{
    return net_build("test.model", "test", text, in, classes, width, err, errsz);
}

static void check_reference_counts(void)
{
    Shape cifar = {3, 32, 32};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        const Ref *r = &refs[i];
        Net *net = net_load_model(r->model, cifar, r->classes, 1.0);
        NetStats st;
        net_stats(net, &st);
        int layers = 0;
        for (int j = 0; j < net->n_nodes; j++) layers += net->nodes[j].op == OP_CONV || net->nodes[j].op == OP_LINEAR;
        int good = st.params == r->params && st.macs == r->macs && st.n == r->modules && layers == r->layers;
        ok(good, "%s cifar%d: %lld params, %lld MACs, %d modules, %d conv/fc layers", r->model, r->classes,
           (long long)st.params, (long long)st.macs, st.n, layers);
        if (!good)
            diag("want %lld params, %lld MACs, %d modules, %d layers", r->params, r->macs, r->modules, r->layers);
        size_t pn = 0;
        for (int j = 0; j < net->n_params; j++)
            if (net->params[j].kind != PARAM_BN_MEAN && net->params[j].kind != PARAM_BN_VAR) pn += net->params[j].numel;
        ok((long long)pn == r->params, "%s cifar%d: parameter table holds %zu trainable values", r->model, r->classes, pn);
        net_stats_free(&st);
        net_free(net);
    }
}

static void check_folded(void)
{
    /* spec §1.9 test vectors: AlexNet_BN and AlexNet, cifar10 (param %, flop %) */
    struct { const char *model, *layer; double p, m; } v[] = {
        {"AlexNet_BN", "conv0", 0.025, 1.446}, {"AlexNet_BN", "conv2", 0.481, 6.809},
        {"AlexNet_BN", "conv4", 1.915, 6.762}, {"AlexNet_BN", "conv5", 7.640, 26.956},
        {"AlexNet_BN", "conv6", 15.260, 53.818}, {"AlexNet_BN", "fc10", 60.987, 3.359},
        {"AlexNet_BN", "fc13", 13.560, 0.747}, {"AlexNet_BN", "fc15", 0.133, 0.007},
        {"AlexNet", "conv0", 0.023, 1.309}, {"AlexNet", "conv3", 0.478, 6.756},
        {"AlexNet", "conv10", 15.252, 53.887}, {"AlexNet", "fc15", 61.010, 3.368},
    };
    Shape cifar = {3, 32, 32};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        Net *net = net_load_model(v[i].model, cifar, 10, 1.0);
        NetStats st;
        net_stats(net, &st);
        double p = -1, m = -1;
        for (int j = 0; j < net->n_nodes; j++)
            if (!strcmp(net->nodes[j].name, v[i].layer)) net_stats_layer_share(&st, j, &p, &m);
        ok(p > v[i].p - 1e-9 && p < v[i].p + 1e-9 && m > v[i].m - 1e-9 && m < v[i].m + 1e-9,
           "%s %s folded share %.3f / %.3f (want %.3f / %.3f)", v[i].model, v[i].layer, p, m, v[i].p, v[i].m);
        if (!strcmp(v[i].layer, "conv0")) {
            double want = !strcmp(v[i].model, "AlexNet") ? 99.776 : 99.904;
            ok(st.mac_pct_folded > want - 1e-6 && st.mac_pct_folded < want + 1e-6,
               "%s folded MAC shares sum to %.3f (want %.3f)", v[i].model, st.mac_pct_folded, want);
        }
        net_stats_free(&st);
        net_free(net);
    }
}

static void check_spot(void)
{
    Shape cifar = {3, 32, 32};
    Net *net = net_load_model("MobileNetV2", cifar, 10, 1.0);
    NetStats st;
    net_stats(net, &st);
    ok(!strcmp(st.rows[0].name, "conv0") && st.rows[0].params == 128 && st.rows[0].macs == 147968,
       "MobileNetV2 conv0: 128 params, 147968 MACs (34x34 output)");
    int dw = -1;
    for (int j = 0; j < net->n_nodes; j++)
        if (!strcmp(net->nodes[j].name, "ml1_blk0_ma_conv1")) dw = j;
    ok(dw >= 0 && net->nodes[dw].groups == 96 && net->nodes[dw].out_shape.h == 17,
       "MobileNetV2 ml1_blk0_ma_conv1 is depthwise (groups 96) with stride 2 (34 -> 17)");
    net_stats_free(&st);
    net_free(net);

    net = net_load_model("ResNet_18", cifar, 10, 1.0);
    net_stats(net, &st);
    int found = 0;
    for (int r = 0; r < st.n; r++)
        if (!strcmp(st.rows[r].name, "aap5")) found = st.rows[r].macs == 8192;
    ok(found, "ResNet_18 aap5 counts 8192 MACs");
    ok(net_find_param(net, "ml1_blk0_ds_bn0.running_var") >= 0 && net_find_param(net, "ml0_blk0_ds_conv0.weight") < 0,
       "ResNet_18 has ml1_blk0_ds_bn0 but no downsample in ml0_blk0");
    net_stats_free(&st);
    net_free(net);

    net = net_load_model("Inception_BN", cifar, 10, 1.0);
    int cat = -1;
    for (int j = 0; j < net->n_nodes; j++)
        if (!strcmp(net->nodes[j].name, "inc8_concat")) cat = j;
    ok(cat >= 0 && net->nodes[cat].out_shape.c == 1024 && net->nodes[cat].out_shape.h == 8,
       "Inception_BN inc8_concat outputs 1024x8x8");
    ok(net_find_param(net, "inc3_br1_conv1.weight") >= 0 && net->nodes[0].first && !net->nodes[2].first,
       "Inception_BN names inc3_br1_conv1; only conv0 is the first conv");
    net_free(net);
}

static void check_width(void)
{
    char err[512];
    Shape fm = {1, 32, 32};
    Net *net = net_load_model("ResNet_18", fm, 10, 0.25);
    int p = net_find_param(net, "ml3_blk1_ma_conv1.weight");
    ok(p >= 0 && net->params[p].shape[0] == 128 && net->params[p].shape[1] == 128,
       "width 0.25 scales ResNet_18 stage 3 to 128 channels");
    ok(net->params[net_find_param(net, "conv0.weight")].shape[1] == 1, "one input channel for Fashion-MNIST");
    ok(net->params[net_find_param(net, "fc7.weight")].shape[0] == 10, "classes are not scaled");
    net_free(net);
    net = build_text("conv out=3 k=3\nflatten\nlinear out=classes\n", (Shape){1, 5, 5}, 4, 0.1, err, sizeof err);
    ok(net && net->nodes[0].out_shape.c == 1, "width rounding never gives fewer than 1 channel");
    net_free(net);
}

typedef struct { const char *text, *want; } Bad;

static void check_errors(void)
{
    static const Bad bad[] = {
        {"conv out=8 k=3 strid=2\n", "test.model:1: conv: unknown key 'strid'"},
        {"conv out=8\n", "missing key 'k'"},
        {"conv out=8 k=three\n", "'three' is not an integer"},
        {"conv out=8 k=3 k=3\n", "key 'k' given twice"},
        {"\n# c\nconvolution out=8 k=3\n", "test.model:3: convolution: unknown op"},
        {"conv out=8 k=3 pad\n", "bad token 'pad' (expected key=value)"},
        {"conv out=-4 k=3\n", "not a channel count"},
        {"conv out=6 k=3 groups=4\n", "groups=4 must divide"},
        {"conv out=6 k=40\nflatten\nlinear out=classes\n", "kernel 40 larger"},
        {"linear out=classes\n", "linear needs a flattened input"},
        {"conv out=4 k=3\nflatten\nlinear out=7\n", "expected 10 classes"},
        {"stage block=resnext blocks=2 out=8\n", "unknown value 'resnext'"},
        {"stage block=bottleneck blocks=2 out=8\n", "missing key 'mid'"},
        {"stage block=basic blocks=2 out=8 expand=6\n", "unknown key 'expand'"},
        {"maxpool k=2 pad=2\n", "pad=2 must be at most half"},
        {"# only comments\n\n", "no layers"},
        {"dropout p=1.5\n", "out of range"},
        {"relu x=1\n", "unknown key 'x' (known: none)"},
        /* found by tests/fuzz (fuzz_model): sizes beyond what a machine holds are errors, not an
         * out-of-memory exit or an int overflow in flatten */
        {"conv out=512 k=3 pad=21\nflatten\nlinear out=4096\nlinear out=classes\n", "test.model:3: linear: the network has"},
        {"conv out=1000000 k=1 pad=64\n", "test.model:1: conv: a tensor of"},
        {"conv out=100000 k=1 pad=64\nconv out=100000 k=1 pad=64\nflatten\n", "more than"},
    };
    char err[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        Net *net = build_text(bad[i].text, (Shape){3, 32, 32}, 10, 1.0, err, sizeof err);
        int good = !net && strstr(err, bad[i].want);
        ok(good, "malformed model %zu rejected: %s", i + 1, bad[i].want);
        if (!good) diag("message was: %s", err);
        net_free(net);
    }
}

int main(void)
{
    plan_no_plan();
    check_reference_counts();
    check_folded();
    check_spot();
    check_width();
    check_errors();
    return done_testing();
}
