#include "ringbuf.h"

int rb_init(struct ringbuf *rb, int *storage, size_t cap)
{
    if (cap == 0)
        return -1;
    rb->data = storage;
    rb->cap = cap;
    rb_clear(rb);
    return 0;
}

void rb_clear(struct ringbuf *rb)
{
    rb->head = 0;
    rb->tail = 0;
    rb->full = false;
}

size_t rb_len(const struct ringbuf *rb)
{
    if (rb->full)
        return rb->cap;
    return (rb->head - rb->tail) % rb->cap;
}

size_t rb_free(const struct ringbuf *rb)
{
    return rb->cap - rb_len(rb);
}

bool rb_is_empty(const struct ringbuf *rb)
{
    return !rb->full && rb->head == rb->tail;
}

bool rb_is_full(const struct ringbuf *rb)
{
    return rb->full;
}

static size_t next_index(const struct ringbuf *rb, size_t i)
{
    return i + 1 == rb->cap ? 0 : i + 1;
}

int rb_push(struct ringbuf *rb, int value)
{
    if (rb->full)
        return -1;
    rb->data[rb->head] = value;
    rb->head = next_index(rb, rb->head);
    rb->full = rb->head == rb->tail;
    return 0;
}

int rb_push_overwrite(struct ringbuf *rb, int value)
{
    int dropped = 0;
    if (rb->full) {
        rb->tail = next_index(rb, rb->tail);
        rb->full = false;
        dropped = 1;
    }
    rb_push(rb, value);
    return dropped;
}

int rb_pop(struct ringbuf *rb, int *out)
{
    if (rb_is_empty(rb))
        return -1;
    if (out)
        *out = rb->data[rb->tail];
    rb->tail = next_index(rb, rb->tail);
    rb->full = false;
    return 0;
}

int rb_peek(const struct ringbuf *rb, size_t i, int *out)
{
    if (i >= rb_len(rb))
        return -1;
    *out = rb->data[(rb->tail + i) % rb->cap];
    return 0;
}

size_t rb_copy(const struct ringbuf *rb, int *out, size_t n)
{
    size_t len = rb_len(rb);
    if (n > len)
        n = len;
    for (size_t i = 0; i < n; i++)
        out[i] = rb->data[(rb->tail + i) % rb->cap];
    return n;
}
