#include "matrix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AT(m, r, c) ((m)->data[(r) * (m)->cols + (c)])

/* Pivots smaller than this are treated as zero. */
static const double SINGULAR_EPS = 1e-12;

struct matrix *mat_new(size_t rows, size_t cols)
{
    if (rows == 0 || cols == 0)
        return NULL;
    struct matrix *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    m->data = calloc(rows * cols, sizeof *m->data);
    if (!m->data) {
        free(m);
        return NULL;
    }
    m->rows = rows;
    m->cols = cols;
    return m;
}

struct matrix *mat_identity(size_t n)
{
    struct matrix *m = mat_new(n, n);
    for (size_t i = 0; m && i < n; i++)
        AT(m, i, i) = 1.0;
    return m;
}

struct matrix *mat_from(size_t rows, size_t cols, const double *values)
{
    struct matrix *m = mat_new(rows, cols);
    if (m)
        memcpy(m->data, values, rows * cols * sizeof *values);
    return m;
}

struct matrix *mat_copy(const struct matrix *m)
{
    return mat_from(m->rows, m->cols, m->data);
}

void mat_free(struct matrix *m)
{
    if (m) {
        free(m->data);
        free(m);
    }
}

double mat_get(const struct matrix *m, size_t r, size_t c)
{
    return AT(m, r, c);
}

void mat_set(struct matrix *m, size_t r, size_t c, double v)
{
    AT(m, r, c) = v;
}

struct matrix *mat_mul(const struct matrix *a, const struct matrix *b)
{
    if (a->cols != b->rows)
        return NULL;
    struct matrix *p = mat_new(a->rows, b->cols);
    if (!p)
        return NULL;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t k = 0; k < a->cols; k++)
            for (size_t j = 0; j < b->cols; j++)
                AT(p, i, j) += AT(a, i, k) * AT(b, k, j);
    return p;
}

struct matrix *mat_transpose(const struct matrix *m)
{
    struct matrix *t = mat_new(m->cols, m->rows);
    for (size_t i = 0; t && i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            AT(t, j, i) = AT(m, i, j);
    return t;
}

int mat_equal(const struct matrix *a, const struct matrix *b, double eps)
{
    if (a->rows != b->rows || a->cols != b->cols)
        return 0;
    for (size_t i = 0; i < a->rows * a->cols; i++)
        if (fabs(a->data[i] - b->data[i]) > eps)
            return 0;
    return 1;
}

static void swap_rows(struct matrix *m, size_t r1, size_t r2)
{
    for (size_t c = 0; c < m->cols; c++) {
        double tmp = AT(m, r1, c);
        AT(m, r1, c) = AT(m, r2, c);
        AT(m, r2, c) = tmp;
    }
}

/* Gaussian elimination with partial pivoting, in place, to upper triangular
 * form.  Row operations are mirrored on rhs when it is not NULL.  Returns the
 * number of row exchanges, or -1 if the matrix is singular. */
static int eliminate(struct matrix *w, double *rhs)
{
    size_t n = w->rows;
    int swaps = 0;
    for (size_t k = 0; k < n; k++) {
        size_t pivot = k;
        for (size_t r = k + 1; r < n; r++)
            if (fabs(AT(w, r, k)) > fabs(AT(w, pivot, k)))
                pivot = r;
        if (fabs(AT(w, pivot, k)) < SINGULAR_EPS)
            return -1;
        if (pivot != k) {
            swap_rows(w, pivot, k);
            if (rhs) {
                double tmp = rhs[pivot];
                rhs[pivot] = rhs[k];
                rhs[k] = tmp;
            }
            swaps++;
        }
        for (size_t r = k + 1; r < n; r++) {
            double f = AT(w, r, k) / AT(w, k, k);
            for (size_t c = k; c < n; c++)
                AT(w, r, c) -= f * AT(w, k, c);
            if (rhs)
                rhs[r] -= f * rhs[k];
        }
    }
    return swaps;
}

int mat_det(const struct matrix *m, double *det)
{
    if (m->rows != m->cols)
        return -1;
    struct matrix *w = mat_copy(m);
    if (!w)
        return -1;
    double d = 0.0;
    if (eliminate(w, NULL) >= 0) {
        d = 1.0;
        for (size_t i = 0; i < w->rows; i++)
            d *= AT(w, i, i);
    }
    mat_free(w);
    *det = d;
    return 0;
}

int mat_solve(const struct matrix *a, const double *b, double *x)
{
    if (a->rows != a->cols)
        return -1;
    size_t n = a->rows;
    struct matrix *w = mat_copy(a);
    if (!w)
        return -1;
    memcpy(x, b, n * sizeof *x);
    if (eliminate(w, x) < 0) {
        mat_free(w);
        return 1;
    }
    for (size_t i = n; i-- > 0;) {
        double s = x[i];
        for (size_t c = i + 1; c < n; c++)
            s -= AT(w, i, c) * x[c];
        x[i] = s / AT(w, i, i);
    }
    mat_free(w);
    return 0;
}
