/* tap.h - a tiny TAP producer for unit tests.
 *
 * Each test runs in a forked child so that a crash in one test is reported
 * as a failure of that test only.  Output:
 *
 *     1..N
 *     ok 1 - test_name
 *     not ok 2 - other_test
 */
#ifndef TAP_H
#define TAP_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*tap_fn)(void);

struct tap_test {
    const char *name;
    tap_fn fn;
};

static int tap_failed_;

#define TEST(name) static void name(void)
#define TAP_ENTRY(name) { #name, name }

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
            tap_failed_ = 1;                                                   \
        }                                                                      \
    } while (0)

#define CHECK_EQ_LONG(got, want)                                               \
    do {                                                                       \
        long got_ = (long)(got), want_ = (long)(want);                         \
        if (got_ != want_) {                                                   \
            printf("# %s:%d: %s == %ld, expected %ld\n", __FILE__, __LINE__,   \
                   #got, got_, want_);                                         \
            tap_failed_ = 1;                                                   \
        }                                                                      \
    } while (0)

static int tap_run(const struct tap_test *tests, size_t count)
{
    size_t failures = 0;
    printf("1..%zu\n", count);
    fflush(stdout);
    for (size_t i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            tap_failed_ = 0;
            tests[i].fn();
            fflush(stdout);
            _exit(tap_failed_ ? 1 : 0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (WIFSIGNALED(status))
            printf("# %s: killed by signal %d\n", tests[i].name, WTERMSIG(status));
        printf("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, tests[i].name);
        fflush(stdout);
        failures += !ok;
    }
    return failures ? 1 : 0;
}

#define TAP_MAIN(...)                                                          \
    int main(void)                                                             \
    {                                                                          \
        static const struct tap_test tests_[] = { __VA_ARGS__ };               \
        return tap_run(tests_, sizeof tests_ / sizeof tests_[0]);              \
    }

#endif /* TAP_H */
