/* progress.c — clock and progress bar (see progress.h). */
#include "base/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(Progress *p, const char *label, long total)
{
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->t0 = now_seconds();
    p->tty = isatty(2);
    p->last_pct = -1;
}

void progress_update(Progress *p, long done)
{
    if (!p->tty) return;
    int pct = (int)(100 * done / p->total);
    if (pct == p->last_pct) return;
    p->last_pct = pct;
    double el = now_seconds() - p->t0, eta = done > 0 ? el * (double)(p->total - done) / (double)done : 0;
    char bar[31];
    int fill = pct * 30 / 100;
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r%s [%s] %3d%% %ld/%ld  %.0fs elapsed, ETA %.0fs ", p->label, bar, pct, done, p->total, el, eta);
    fflush(stderr);
}

void progress_end(Progress *p)
{
    if (p->tty) fprintf(stderr, "\r\033[K");
}
