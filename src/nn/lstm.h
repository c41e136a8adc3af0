/* lstm.h — one LSTM layer over a time-major sequence (PyTorch's nn.LSTM, one layer).
 *
 * Gate order i, f, g, o (PyTorch): for each step t, with x_t (B, I) and h_{t-1} (B, H),
 *   a = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh          (B, 4H)
 *   i = σ(a[0:H]), f = σ(a[H:2H]), g = tanh(a[2H:3H]), o = σ(a[3H:4H])
 *   c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t),   y_t = h_t.
 * W_ih (4H, I), W_hh (4H, H), b_ih, b_hh (4H).  Sequences are time-major: x (T, B, I),
 * y (T, B, H).  h0/c0 (B, H) may be NULL (zeros).
 *
 * The input projection of all steps is one GEMM (T·B rows); each step adds one (B×H)·(H×4H)
 * GEMM.  The backward pass runs through time over the chunk (truncated BPTT: nothing flows
 * past h0/c0 except into dh0/dc0); the weight gradients are two GEMMs over all steps.
 * Everything is f32 with BLAS sums; nothing allocates.
 */
#ifndef MTA_LSTM_H
#define MTA_LSTM_H

#include <stddef.h>

typedef struct {
    const float *w_ih, *w_hh, *b_ih, *b_hh;
    int in, hidden;
} LstmWeights;

/* Floats of the training cache lstm_forward fills for a backward pass: the activated gates
 * (T, B, 4H) and the cell states (T, B, H). */
size_t lstm_cache_floats(int T, int B, int H);

/* Forward over T >= 0 steps.  y (T, B, H) receives h_1..h_T; hT, cT (B, H) the final state
 * (may be NULL).  cache: lstm_cache_floats floats (the gates live there, in inference too),
 * kept for lstm_backward.
 * hT/cT may alias h0/c0. */
void lstm_forward(const LstmWeights *w, int T, int B, const float *x, const float *h0, const float *c0,
                  float *y, float *hT, float *cT, float *cache);

/* Scratch floats lstm_backward needs: the gate gradients (T, B, 4H) and two state rows. */
size_t lstm_backward_work_floats(int T, int B, int H);

/* Backward after lstm_forward with a cache, on the same x, h0, c0 and the y it wrote.
 * dy (T, B, H) may be NULL (zero); dhT, dcT (B, H) may be NULL (zero).  Writes dx (T, B, I)
 * (may be NULL: not needed), dh0, dc0 (B, H) (may be NULL); accumulates the parameter
 * gradients into dw_ih, dw_hh, db_ih, db_hh (same shapes as the weights). */
void lstm_backward(const LstmWeights *w, int T, int B, const float *x, const float *h0, const float *c0,
                   const float *y, const float *cache, const float *dy, const float *dhT, const float *dcT,
                   float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                   float *work);

#endif
