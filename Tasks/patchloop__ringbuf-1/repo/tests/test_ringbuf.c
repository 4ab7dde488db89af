#include "tap.h"
#include "ringbuf.h"

TEST(test_init_rejects_zero_capacity)
{
    struct ringbuf rb;
    int storage[1];
    CHECK(rb_init(&rb, storage, 0) == -1);
    CHECK(rb_init(&rb, storage, 1) == 0);
}

TEST(test_new_buffer_is_empty)
{
    struct ringbuf rb;
    int storage[8];
    rb_init(&rb, storage, 8);
    CHECK(rb_is_empty(&rb));
    CHECK(!rb_is_full(&rb));
    CHECK_EQ_LONG(rb_len(&rb), 0);
    CHECK_EQ_LONG(rb_free(&rb), 8);
}

TEST(test_push_pop_fifo)
{
    struct ringbuf rb;
    int storage[8], v = 0;
    rb_init(&rb, storage, 8);
    for (int i = 1; i <= 3; i++)
        CHECK(rb_push(&rb, i * 10) == 0);
    CHECK_EQ_LONG(rb_len(&rb), 3);
    for (int i = 1; i <= 3; i++) {
        CHECK(rb_pop(&rb, &v) == 0);
        CHECK_EQ_LONG(v, i * 10);
    }
    CHECK(rb_pop(&rb, &v) == -1);
}

TEST(test_full_buffer_rejects_push)
{
    struct ringbuf rb;
    int storage[4];
    rb_init(&rb, storage, 4);
    for (int i = 0; i < 4; i++)
        CHECK(rb_push(&rb, i) == 0);
    CHECK(rb_is_full(&rb));
    CHECK_EQ_LONG(rb_len(&rb), 4);
    CHECK(rb_push(&rb, 99) == -1);
}

TEST(test_wraparound_power_of_two)
{
    struct ringbuf rb;
    int storage[8], v = 0;
    rb_init(&rb, storage, 8);
    for (int i = 0; i < 6; i++)
        rb_push(&rb, i);
    for (int i = 0; i < 5; i++)
        rb_pop(&rb, &v);
    for (int i = 6; i < 12; i++)
        CHECK(rb_push(&rb, i) == 0);
    CHECK_EQ_LONG(rb_len(&rb), 7);
    CHECK_EQ_LONG(rb_free(&rb), 1);
    for (int i = 5; i < 12; i++) {
        CHECK(rb_pop(&rb, &v) == 0);
        CHECK_EQ_LONG(v, i);
    }
    CHECK(rb_is_empty(&rb));
}

TEST(test_push_overwrite_drops_oldest)
{
    struct ringbuf rb;
    int storage[4], out[4];
    rb_init(&rb, storage, 4);
    for (int i = 1; i <= 4; i++)
        CHECK(rb_push_overwrite(&rb, i) == 0);
    CHECK(rb_push_overwrite(&rb, 5) == 1);
    CHECK(rb_push_overwrite(&rb, 6) == 1);
    CHECK_EQ_LONG(rb_copy(&rb, out, 4), 4);
    CHECK_EQ_LONG(out[0], 3);
    CHECK_EQ_LONG(out[3], 6);
}

TEST(test_peek)
{
    struct ringbuf rb;
    int storage[4], v = -1;
    rb_init(&rb, storage, 4);
    rb_push(&rb, 7);
    rb_push(&rb, 8);
    CHECK(rb_peek(&rb, 1, &v) == 0);
    CHECK_EQ_LONG(v, 8);
    CHECK(rb_peek(&rb, 2, &v) == -1);
    CHECK_EQ_LONG(rb_len(&rb), 2);
}

TEST(test_clear)
{
    struct ringbuf rb;
    int storage[2];
    rb_init(&rb, storage, 2);
    rb_push(&rb, 1);
    rb_push(&rb, 2);
    rb_clear(&rb);
    CHECK(rb_is_empty(&rb));
    CHECK(rb_push(&rb, 3) == 0);
}

TAP_MAIN(
    TAP_ENTRY(test_init_rejects_zero_capacity),
    TAP_ENTRY(test_new_buffer_is_empty),
    TAP_ENTRY(test_push_pop_fifo),
    TAP_ENTRY(test_full_buffer_rejects_push),
    TAP_ENTRY(test_wraparound_power_of_two),
    TAP_ENTRY(test_push_overwrite_drops_oldest),
    TAP_ENTRY(test_peek),
    TAP_ENTRY(test_clear),
)
