#ifndef PATCHLOOP_SPAWN_H
#define PATCHLOOP_SPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in `cwd` (NULL: inherit), in a new process
/// group whose id is the child's pid, with default signal dispositions (the parent
/// ignores SIGPIPE; its children must not inherit that) and an empty signal mask.
/// Standard input, output and error become the given descriptors; every other
/// descriptor is closed in the child. Returns 0 and sets *pid, or an errno value.
int patchloop_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                    int stdin_fd, int stdout_fd, int stderr_fd, pid_t *pid);

/// Ignores SIGPIPE in this process, once: a write to a closed pipe must be an error,
/// not the end of the program.
void patchloop_ignore_sigpipe(void);

/// pipe2(O_CLOEXEC): both ends close on exec, so a pipe never leaks into a child
/// spawned concurrently by another thread (which would keep its write end open).
int patchloop_pipe_cloexec(int fds[2]);

#endif
