/* ringbuf.h - fixed-capacity FIFO ring buffer of ints over caller-provided storage. */
#ifndef RINGBUF_H
#define RINGBUF_H

#include <stdbool.h>
#include <stddef.h>

struct ringbuf {
    int *data;
    size_t cap;   /* number of slots in data */
    size_t head;  /* index of the next slot to write */
    size_t tail;  /* index of the oldest element */
    bool full;
};

/* Use `storage` (cap ints) as the buffer. Returns -1 if cap is 0. */
int rb_init(struct ringbuf *rb, int *storage, size_t cap);

size_t rb_len(const struct ringbuf *rb);
size_t rb_free(const struct ringbuf *rb);
bool rb_is_empty(const struct ringbuf *rb);
bool rb_is_full(const struct ringbuf *rb);

/* Append a value. Returns -1 (and stores nothing) when the buffer is full. */
int rb_push(struct ringbuf *rb, int value);
/* Append a value, dropping the oldest one when full. Returns 1 if a value was dropped. */
int rb_push_overwrite(struct ringbuf *rb, int value);
/* Remove the oldest value into *out. Returns -1 when empty. */
int rb_pop(struct ringbuf *rb, int *out);
/* Read the i-th oldest value without removing it. Returns -1 if i >= rb_len(). */
int rb_peek(const struct ringbuf *rb, size_t i, int *out);
/* Copy up to n of the oldest values into out (oldest first); returns how many were copied. */
size_t rb_copy(const struct ringbuf *rb, int *out, size_t n);
void rb_clear(struct ringbuf *rb);

#endif /* RINGBUF_H */
