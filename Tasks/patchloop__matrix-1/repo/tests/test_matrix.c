#include <math.h>

#include "tap.h"
#include "matrix.h"

#define CHECK_NEAR(got, want)                                                  \
    do {                                                                       \
        double got_ = (got), want_ = (want);                                   \
        if (fabs(got_ - want_) > 1e-9) {                                       \
            printf("# %s:%d: %s == %g, expected %g\n", __FILE__, __LINE__,     \
                   #got, got_, want_);                                         \
            tap_failed_ = 1;                                                   \
        }                                                                      \
    } while (0)

static double det_of(size_t n, const double *values)
{
    struct matrix *m = mat_from(n, n, values);
    double d = NAN;
    CHECK(mat_det(m, &d) == 0);
    mat_free(m);
    return d;
}

TEST(test_new_is_zeroed)
{
    struct matrix *m = mat_new(2, 3);
    CHECK(m != NULL);
    for (size_t r = 0; r < 2; r++)
        for (size_t c = 0; c < 3; c++)
            CHECK(mat_get(m, r, c) == 0.0);
    CHECK(mat_new(0, 3) == NULL);
    mat_free(m);
}

TEST(test_mul_rectangular)
{
    const double a_vals[] = {1, 2, 3, 4, 5, 6};    /* 2x3 */
    const double b_vals[] = {7, 8, 9, 10, 11, 12}; /* 3x2 */
    const double want[] = {58, 64, 139, 154};
    struct matrix *a = mat_from(2, 3, a_vals), *b = mat_from(3, 2, b_vals);
    struct matrix *p = mat_mul(a, b), *w = mat_from(2, 2, want);
    CHECK(p != NULL && mat_equal(p, w, 1e-12));
    CHECK(mat_mul(a, a) == NULL);
    mat_free(a); mat_free(b); mat_free(p); mat_free(w);
}

TEST(test_mul_identity)
{
    const double vals[] = {2, -1, 0.5, 3};
    struct matrix *m = mat_from(2, 2, vals), *i = mat_identity(2);
    struct matrix *p = mat_mul(i, m);
    CHECK(mat_equal(p, m, 0.0));
    mat_free(m); mat_free(i); mat_free(p);
}

TEST(test_transpose)
{
    const double vals[] = {1, 2, 3, 4, 5, 6};
    struct matrix *m = mat_from(2, 3, vals), *t = mat_transpose(m);
    CHECK(t->rows == 3 && t->cols == 2);
    CHECK(mat_get(t, 2, 0) == 3.0 && mat_get(t, 0, 1) == 4.0);
    mat_free(m); mat_free(t);
}

TEST(test_det_identity_and_diagonal)
{
    const double diag[] = {2, 0, 0, 0, 3, 0, 0, 0, 4};
    struct matrix *i = mat_identity(4);
    double d = 0;
    CHECK(mat_det(i, &d) == 0);
    CHECK_NEAR(d, 1.0);
    CHECK_NEAR(det_of(3, diag), 24.0);
    mat_free(i);
}

TEST(test_det_2x2)
{
    const double vals[] = {4, 1, 2, 3};
    CHECK_NEAR(det_of(2, vals), 10.0);
}

TEST(test_det_3x3)
{
    const double vals[] = {5, 2, 1, 1, 4, 2, 1, 1, 3};
    CHECK_NEAR(det_of(3, vals), 45.0);
}

TEST(test_det_singular_is_zero)
{
    const double vals[] = {1, 2, 2, 4};
    CHECK_NEAR(det_of(2, vals), 0.0);
}

TEST(test_det_requires_square)
{
    struct matrix *m = mat_new(2, 3);
    double d = 0;
    CHECK(mat_det(m, &d) == -1);
    mat_free(m);
}

TEST(test_solve_with_pivoting)
{
    /* the first pivot is zero, so rows have to be exchanged */
    const double vals[] = {0, 2, 1, 1, 1, 1, 2, 1, 0};
    const double b[] = {7, 6, 4};
    double x[3];
    struct matrix *a = mat_from(3, 3, vals);
    CHECK(mat_solve(a, b, x) == 0);
    CHECK_NEAR(x[0], 1.0);
    CHECK_NEAR(x[1], 2.0);
    CHECK_NEAR(x[2], 3.0);
    mat_free(a);
}

TEST(test_solve_singular)
{
    const double vals[] = {1, 2, 2, 4};
    const double b[] = {1, 2};
    double x[2];
    struct matrix *a = mat_from(2, 2, vals);
    CHECK(mat_solve(a, b, x) == 1);
    mat_free(a);
}

TAP_MAIN(
    TAP_ENTRY(test_new_is_zeroed),
    TAP_ENTRY(test_mul_rectangular),
    TAP_ENTRY(test_mul_identity),
    TAP_ENTRY(test_transpose),
    TAP_ENTRY(test_det_identity_and_diagonal),
    TAP_ENTRY(test_det_2x2),
    TAP_ENTRY(test_det_3x3),
    TAP_ENTRY(test_det_singular_is_zero),
    TAP_ENTRY(test_det_requires_square),
    TAP_ENTRY(test_solve_with_pivoting),
    TAP_ENTRY(test_solve_singular),
)
