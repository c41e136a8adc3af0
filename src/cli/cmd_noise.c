/* cmd_noise.c — `mta noise CKPT --out TSV [--layers TSV] [--configs LIST] [--calib-images N]`:
 * the data-free analytic noise model (quant/noise_model.h) of a checkpoint in every
 * configuration: no image is read, only the parameters and the BN running statistics.
 *
 * Table: title quant bits ebits nm_sqnr_db nm_w_sqnr_db nm_a_sqnr_db layers stats_layers, one
 * row per configuration in canonical order; the per-layer table: title layer has_stats w_nsr
 * a_nsr a_max cum_sqnr_db, and with --measure meas_sqnr_db: the SQNR of the layer's output
 * measured in the quantized network, calibrated as the sweep does on --calib-images seeded
 * training images (--batch, --seed), on the first calibration batch (the one act_sqnr_db_flops
 * averages over; this reads the images).  Both written through a temporary file and rename. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "quant/noise_model.h"
#include "quant/sweep.h"

static const CliFlagSpec noise_flags[] = {
    {"out", "TSV", NULL, "the table, one row per configuration", 1},
    {"layers", "TSV", "OUT with .layers.tsv", "the per-layer table", 0},
    {"configs", "LIST|all", "all", "configurations, e.g. INT_8,POT_4 (canonical order)", 0},
    {"calib-images", "N", "512", "calibration images the observer would see (sets the estimated activation range)", 0},
    {"data", "SPEC", "fmnist", "the data set: its input shape and classes (loaded only with --measure)", 0},
    {"measure", NULL, "off", "also measure every layer's output SQNR in the calibrated quantized network (per-layer table)", 0},
    {"batch", "B", "128", "with --measure: calibration batch size (a divisor of --calib-images), as the sweep's", 0},
    {"seed", "S", "1", "with --measure: seed of the calibration images (the sweep's)", 0},
    CLI_FLAG_THREADS,
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_noise_info = {"noise", "CKPT", 1, 1,
                                   "data-free analytic noise model: predicted output SQNR per configuration from weights and BN statistics",
                                   noise_flags};

static void put_db(FILE *f, double v)
{
    if (isinf(v)) fputs("\tinf", f);
    else fprintf(f, "\t%.6f", v);
}

int cmd_noise(int argc, char **argv)
{
    CliArgs args;
    cli_parse(&cmd_noise_info, argc, argv, 2, &args);
    const char *out = cli_get(&args, "out");
    char layers[4200];
    if (cli_get(&args, "layers")) snprintf(layers, sizeof layers, "%s", cli_get(&args, "layers"));
    else path_sibling(out, ".layers.tsv", layers, sizeof layers);
    SweepConfig sc = {0};
    sweep_parse_configs(cli_get(&args, "configs"), &sc);
    double nimg = (double)cli_long(&args, "calib-images", 512, 1, 1L << 30);
    const char *spec = cli_get(&args, "data") ? cli_get(&args, "data") : "fmnist";
    int measure = cli_get(&args, "measure") != NULL;
    if (!measure && (cli_get(&args, "batch") || cli_get(&args, "seed")))
        cli_fail(&cmd_noise_info, "flags --batch / --seed need --measure");
    char kind[32];
    snprintf(kind, sizeof kind, "%.*s", (int)strcspn(spec, ":"), spec);
    Dataset ds;
    memset(&ds, 0, sizeof ds);
    int ch, classes;
    if (dataset_shape_by_name(kind, &ch, &classes))
        cli_fail(&cmd_noise_info, "flag --data: unknown data set '%s' (expected fmnist, idx, cifar10 or cifar100)", spec);
    ds.test.c = ch; ds.test.h = 32; ds.test.w = 32; ds.classes = classes;
    snprintf(ds.kind, sizeof ds.kind, "%.*s", (int)sizeof ds.kind - 1, kind);
    CkptInfo info;
    Net *net;
    double *meas = NULL;
    if (measure) {   /* the images too: the sweep's calibration, every layer's measured SQNR */
        int batch = (int)cli_long(&args, "batch", 128, 1, 4096);
        if ((long)nimg % batch) cli_fail(&cmd_noise_info, "flag --calib-images: %.0f is not a multiple of --batch %d", nimg, batch);
        net = cli_open(&args, args.pos[0], &ds, &info, cli_threads(&args));
        net_alloc_acts(net, batch);
        sc.batch = batch;
        sc.calib_batches = (int)nimg / batch;
        sc.limit = 1;   /* no test image is evaluated */
        sc.seed = cli_u64(&args, "seed", 1);
        sc.opt = ptq_options(0);
        meas = xmalloc(sizeof(double) * (size_t)sc.n_configs * (size_t)net->n_nodes);
        sweep_layer_sqnr(net, &ds, &sc, meas);
    } else net = cli_load_checkpoint(&args, args.pos[0], &ds, &info);

    NmLayer *L = xmalloc(sizeof(NmLayer) * (size_t)net->n_nodes);
    AtomicFile af, al;
    FILE *f = atomic_open_or_die(&af, out), *fl = atomic_open_or_die(&al, layers);
    fprintf(f, "title\tquant\tbits\tebits\tnm_sqnr_db\tnm_w_sqnr_db\tnm_a_sqnr_db\tlayers\tstats_layers\n");
    fprintf(fl, "title\tlayer\thas_stats\tw_nsr\ta_nsr\ta_max\tcum_sqnr_db%s\n", meas ? "\tmeas_sqnr_db" : "");
    for (int ci = 0; ci < sc.n_configs; ci++) {
        const QuantConfig *qc = &quant_configs[sc.configs[ci]];
        QuantSpec s = quant_spec_config(sc.configs[ci]);
        NmTotal tot;
        int n = nm_network(net, &s, nimg, L, &tot);
        fprintf(f, "%s\t%s\t%d\t%d", qc->title, quant_type_name(qc->type), qc->bits, qc->ebits);
        put_db(f, tot.sqnr_db); put_db(f, tot.w_sqnr_db); put_db(f, tot.a_sqnr_db);
        fprintf(f, "\t%d\t%d\n", tot.n_layers, tot.n_stats);
        for (int k = 0; k < n; k++) {
            fprintf(fl, "%s\t%s\t%d\t%.9g\t%.9g\t%.9g", qc->title, net->nodes[L[k].node].name, L[k].has_stats, L[k].w_nsr,
                    L[k].a_nsr, L[k].a_max);
            put_db(fl, L[k].cum_sqnr_db);
            if (meas) put_db(fl, meas[(size_t)ci * net->n_nodes + L[k].node]);
            fputc('\n', fl);
        }
    }
    atomic_commit_or_die(&al);
    atomic_commit_or_die(&af);
    free(L);
    free(meas);
    net_free(net);
    if (measure) dataset_free(&ds);
    return 0;
}
