/*
 * graph-engine's compiled inner loops, called through ctypes by graph_engine/_kernels.py
 * (which documents them and checks what it passes). Plain C over flat arrays: no Python
 * objects are touched, so ctypes runs them without the GIL and blocks run on threads, and
 * no Python headers are needed to build them (setuptools builds this file as the shared
 * library graph_engine._ckernels, which _kernels.py finds and loads, never imports).
 *
 * Callers pass well-formed CSR arrays (the graph's own): there are no bounds checks.
 * A CSR here is `indptr` (int64, rows + 1) and `indices` (int32, sorted within a row).
 */
#include <stdint.h>
#include <string.h>

/* A hint only: compilers without it (MSVC) run the same loops without prefetching. */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif

/* How many edges ahead to ask for a follower's creator list (see ge_shared_counts). */
#define AHEAD_ROW 16
#define AHEAD_LIST 6

/*
 * The CSR pattern of the transpose, by counting sort: rows of the transpose are the
 * columns of the input, and each holds its input rows in increasing order.
 * t_indptr: n_columns + 1 entries; t_indices: indptr[n_rows] entries; fill: n_columns.
 */
void ge_transpose(const int64_t *indptr, const int32_t *indices, int64_t n_rows,
                  int64_t n_columns, int64_t *t_indptr, int32_t *t_indices, int64_t *fill)
{
    const int64_t nnz = indptr[n_rows];
    memset(t_indptr, 0, (size_t)(n_columns + 1) * sizeof(int64_t));
    for (int64_t p = 0; p < nnz; p++)
        t_indptr[indices[p] + 1]++;
    for (int64_t j = 0; j < n_columns; j++)
        t_indptr[j + 1] += t_indptr[j];
    memcpy(fill, t_indptr, (size_t)n_columns * sizeof(int64_t));
    for (int64_t row = 0; row < n_rows; row++)
        for (int64_t p = indptr[row]; p < indptr[row + 1]; p++)
            t_indices[fill[indices[p]]++] = (int32_t)row;
}

/*
 * Shared followers of creators a in [lo, hi) with every creator b (b > a with `upper`,
 * else every b != a): for each follower f of a, walk f's sorted creator list from the
 * end, counting each b in `counts` (n zeros on entry, zeros again on return; `touched`
 * is n entries of scratch). Writes (a, b, shared) to out_a/out_b/out_s, grouped by a,
 * b in the order first met, and returns how many.
 *
 * The walk jumps to a follower's creator list at random: one cache miss per edge. The
 * list of the follower AHEAD_LIST edges ahead, and the offsets of the one AHEAD_ROW
 * ahead, are prefetched so that those misses overlap (3.5x faster on a 4.6M-edge graph).
 */
int64_t ge_shared_counts(const int64_t *indptr, const int32_t *indices,
                         const int64_t *t_indptr, const int32_t *t_indices, int64_t lo,
                         int64_t hi, int upper, int64_t *counts, int64_t *touched,
                         int64_t *out_a, int64_t *out_b, int64_t *out_s)
{
    int64_t k = 0;
    for (int64_t a = lo; a < hi; a++) {
        const int64_t end = indptr[a + 1];
        int64_t m = 0;
        for (int64_t p = indptr[a]; p < end; p++) {
            if (p + AHEAD_ROW < end)
                PREFETCH(&t_indptr[indices[p + AHEAD_ROW] + 1]);
            if (p + AHEAD_LIST < end)
                PREFETCH(&t_indices[t_indptr[indices[p + AHEAD_LIST] + 1] - 1]);
            const int32_t f = indices[p];
            const int64_t start = t_indptr[f];
            for (int64_t q = t_indptr[f + 1] - 1; q >= start; q--) {
                const int64_t b = t_indices[q];
                if (b <= a) {
                    if (upper)
                        break; /* sorted: every creator left of here is <= a */
                    if (b == a)
                        continue;
                }
                if (counts[b] == 0)
                    touched[m++] = b;
                counts[b]++;
            }
        }
        for (int64_t i = 0; i < m; i++) {
            const int64_t b = touched[i];
            out_a[k] = a;
            out_b[k] = b;
            out_s[k] = counts[b];
            counts[b] = 0;
            k++;
        }
    }
    return k;
}
