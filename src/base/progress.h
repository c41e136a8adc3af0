/* progress.h — the monotonic clock and a progress bar on stderr (drawn only when stderr is a
 * terminal).  Library code (training, evaluation, the sweep) reports progress through these;
 * nothing here knows about the command line. */
#ifndef MTA_PROGRESS_H
#define MTA_PROGRESS_H

/* Seconds on the monotonic clock (an arbitrary origin: use differences). */
double now_seconds(void);

typedef struct {
    const char *label;   /* borrowed */
    long total;
    double t0;
    int tty;             /* stderr is a terminal: draw */
    int last_pct;
} Progress;

void progress_start(Progress *p, const char *label, long total);
void progress_update(Progress *p, long done);
/* Erase the bar (no-op when not drawn). */
void progress_end(Progress *p);

#endif
