/*
 * crc32c.c - CRC-32C (Castagnoli), the checksum of each WAL record: the
 * polynomial of iSCSI and ext4 metadata, which catches every burst error
 * up to 32 bits. The SSE4.2 crc32 instruction computes it 8 bytes at a
 * time where the CPU has it (the byte-wise table was a tenth of a push);
 * else a table, built once. Both are checked against the standard check
 * value at first use.
 */
#include <assert.h>
#include <pthread.h>
#include <string.h>

#include "server.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_SSE42_PATH 1
#endif

static uint32_t table[256];
static bool hardware;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint32_t crc32c_table(uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#ifdef HAVE_SSE42_PATH
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t n)
{
    uint64_t c = ~crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}
#endif

static void setup(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ UINT32_C(0x82F63B78) : c >> 1;
        table[i] = c;
    }
    static const char check[] = "123456789";   /* the standard check value */
    assert(crc32c_table(0, (const unsigned char *)check, 9) == UINT32_C(0xE3069283));
    (void)check;   /* NDEBUG: no assert */
#ifdef HAVE_SSE42_PATH
    __builtin_cpu_init();
    hardware = __builtin_cpu_supports("sse4.2");
    assert(!hardware || crc32c_sse42(0, (const unsigned char *)check, 9) == UINT32_C(0xE3069283));
#endif
}

uint32_t crc32c(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&once, setup);
#ifdef HAVE_SSE42_PATH
    if (hardware)
        return crc32c_sse42(crc, data, n);
#endif
    return crc32c_table(crc, data, n);
}
