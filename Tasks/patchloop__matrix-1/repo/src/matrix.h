/* matrix.h - small dense matrices of doubles (row-major). */
#ifndef MATRIX_H
#define MATRIX_H

#include <stddef.h>

struct matrix {
    size_t rows;
    size_t cols;
    double *data; /* rows * cols values, row-major */
};

/* Allocation. All constructors return NULL on allocation failure or zero size. */
struct matrix *mat_new(size_t rows, size_t cols); /* zero-filled */
struct matrix *mat_identity(size_t n);
struct matrix *mat_from(size_t rows, size_t cols, const double *values);
struct matrix *mat_copy(const struct matrix *m);
void mat_free(struct matrix *m);

double mat_get(const struct matrix *m, size_t r, size_t c);
void mat_set(struct matrix *m, size_t r, size_t c, double v);

/* Returns NULL if the dimensions do not match. */
struct matrix *mat_mul(const struct matrix *a, const struct matrix *b);
struct matrix *mat_transpose(const struct matrix *m);

/* 1 if both have the same shape and all entries differ by at most eps. */
int mat_equal(const struct matrix *a, const struct matrix *b, double eps);

/* Determinant of a square matrix. Returns -1 if m is not square. */
int mat_det(const struct matrix *m, double *det);

/* Solve a x = b for square a (n values in b and x).
 * Returns -1 if a is not square, 1 if it is singular, 0 on success. */
int mat_solve(const struct matrix *a, const double *b, double *x);

#endif /* MATRIX_H */
