/*
 * test_hashmap.c - the byte-string hash map: insert and find across growth,
 * short and long keys, the empty key, key copying, canonical key bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

static void test_insert_and_find(void **state)
{
    (void)state;
    fdl_hashmap *map = fdl_hashmap_new();
    assert_non_null(map);
    enum { N = 20000 };
    static intptr_t values[N];
    char key[64];
    for (int i = 0; i < N; i++) {
        /* short keys inline, long keys on the heap */
        int len = i % 3 == 0 ? snprintf(key, sizeof key, "k%d", i)
                             : snprintf(key, sizeof key, "a-rather-long-key-number-%d-xxxxxxxx", i);
        void **slot = fdl_hashmap_slot(map, key, (size_t)len, true);
        assert_non_null(slot);
        assert_null(*slot);
        values[i] = i + 1;
        *slot = &values[i];
        assert_int_equal(fdl_hashmap_count(map), i + 1);
    }
    for (int i = 0; i < N; i++) {
        int len = i % 3 == 0 ? snprintf(key, sizeof key, "k%d", i)
                             : snprintf(key, sizeof key, "a-rather-long-key-number-%d-xxxxxxxx", i);
        void **slot = fdl_hashmap_slot(map, key, (size_t)len, false);
        assert_non_null(slot);
        assert_ptr_equal(*slot, &values[i]);
        /* asking again with insert finds the same entry */
        assert_ptr_equal(*fdl_hashmap_slot(map, key, (size_t)len, true), &values[i]);
    }
    assert_int_equal(fdl_hashmap_count(map), N);
    assert_null(fdl_hashmap_slot(map, "absent", 6, false));
    /* a prefix of a key is another key */
    assert_null(fdl_hashmap_slot(map, "k3", 1, false));
    fdl_hashmap_free(map);
}

static void test_empty_key_and_copies(void **state)
{
    (void)state;
    fdl_hashmap *map = fdl_hashmap_new();
    int a = 1, b = 2;
    *fdl_hashmap_slot(map, "", 0, true) = &a;
    char key[40];
    strcpy(key, "mutable-key-that-is-longer-than-16");
    *fdl_hashmap_slot(map, key, strlen(key), true) = &b;
    strcpy(key, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");     /* the map kept its own copy */
    void **slot = fdl_hashmap_slot(map, "mutable-key-that-is-longer-than-16", 34, false);
    assert_non_null(slot);
    assert_ptr_equal(*slot, &b);
    assert_ptr_equal(*fdl_hashmap_slot(map, "", 0, false), &a);
    assert_null(fdl_hashmap_slot(map, key, strlen(key), false));
    assert_int_equal(fdl_hashmap_count(map), 2);
    fdl_hashmap_free(map);
}

static void count_visit(void *value, void *ctx)
{
    *(long *)ctx += *(int *)value;
}

static void test_each(void **state)
{
    (void)state;
    fdl_hashmap *map = fdl_hashmap_new();
    static int values[100];
    for (int i = 0; i < 100; i++) {
        char key[8];
        values[i] = i;
        *fdl_hashmap_slot(map, key, (size_t)snprintf(key, sizeof key, "%d", i), true) = &values[i];
    }
    long total = 0;
    fdl_hashmap_each(map, count_visit, &total);
    assert_int_equal(total, 4950);
    fdl_hashmap_free(map);
    fdl_hashmap_free(NULL);
}

static void test_hash_bytes(void **state)
{
    (void)state;
    assert_int_equal(fdl_hash_bytes("abc", 3), fdl_hash_bytes("abc", 3));
    assert_int_not_equal(fdl_hash_bytes("abc", 3), fdl_hash_bytes("abd", 3));
    assert_int_not_equal(fdl_hash_bytes("", 0), fdl_hash_bytes("\0", 1));
    assert_int_not_equal(fdl_hash_bytes("12345678", 8), fdl_hash_bytes("123456789", 9));
    /* low bits spread: consecutive int keys fill distinct buckets of 1024 */
    int buckets[1024] = {0};
    int used = 0;
    for (int64_t i = 0; i < 1024; i++) {
        char buf[8];
        const void *bytes;
        size_t n = fdl_key_bytes(fdl_int64(i), buf, sizeof buf, &bytes);
        if (!buckets[fdl_hash_bytes(bytes, n) & 1023]++)
            used++;
    }
    assert_true(used > 600);          /* a random function fills about 647 */
}

static void test_key_bytes(void **state)
{
    (void)state;
    char buf[8];
    const void *bytes;
    assert_int_equal(fdl_key_bytes(fdl_int64(0x0102030405060708), buf, sizeof buf, &bytes), 8);
    assert_memory_equal(bytes, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    assert_int_equal(fdl_key_bytes(fdl_int64(-1), buf, sizeof buf, &bytes), 8);
    assert_memory_equal(bytes, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    const char *text = "user-17";
    assert_int_equal(fdl_key_bytes(fdl_string(text, 7), buf, sizeof buf, &bytes), 7);
    assert_ptr_equal(bytes, text);
    assert_int_equal(fdl_key_bytes(fdl_null(), buf, sizeof buf, &bytes), 0);
    assert_int_equal(fdl_key_bytes(fdl_int64(1), buf, 4, &bytes), 0);  /* no room */
}

/* Removal slot by slot: every other key of many (short and long) goes,
 * the rest stay findable, the table shrinks and the long keys' bytes go. */
static void test_remove_at(void **state)
{
    (void)state;
    enum { N = 5000 };
    fdl_hashmap *map = fdl_hashmap_new();
    assert_non_null(map);
    size_t empty_bytes = fdl_hashmap_bytes(map);
    char key[64];
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, i % 2 ? "a rather long key number %d" : "k%d", i);
        void **slot = fdl_hashmap_slot(map, key, (size_t)len, true);
        assert_non_null(slot);
        *slot = (void *)(intptr_t)(i + 1);
    }
    size_t full_capacity = fdl_hashmap_capacity(map);
    /* Remove the even values (short keys) and then all but 3 odd ones,
     * visiting slots as the store's sweep does. */
    for (int round = 0; round < 2; round++) {
        for (size_t at = 0; at < fdl_hashmap_capacity(map);) {
            void **slot = fdl_hashmap_slot_at(map, at);
            intptr_t v = slot ? (intptr_t)*slot - 1 : -1;
            bool drop = slot && (round == 0 ? v % 2 == 0 : v > 5);
            if (!drop) {
                at++;
                continue;
            }
            if (fdl_hashmap_remove_at(map, at))
                at = 0;                 /* resized: start over */
        }
    }
    assert_int_equal(fdl_hashmap_count(map), 3);
    assert_true(fdl_hashmap_capacity(map) < full_capacity / 64);
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, i % 2 ? "a rather long key number %d" : "k%d", i);
        void **slot = fdl_hashmap_slot(map, key, (size_t)len, false);
        if (i % 2 && i <= 5) {
            assert_non_null(slot);
            assert_int_equal((intptr_t)*slot, i + 1);
        } else {
            assert_null(slot);
        }
    }
    size_t long_keys = 3 * strlen("a rather long key number 1");
    assert_true(fdl_hashmap_capacity(map) <= 32);
    assert_true(fdl_hashmap_bytes(map) >= empty_bytes + long_keys);
    assert_true(fdl_hashmap_bytes(map) <= 2 * empty_bytes + long_keys);
    fdl_hashmap_free(map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_and_find),
        cmocka_unit_test(test_empty_key_and_copies),
        cmocka_unit_test(test_each),
        cmocka_unit_test(test_hash_bytes),
        cmocka_unit_test(test_key_bytes),
        cmocka_unit_test(test_remove_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
