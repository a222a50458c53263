/*
 * crc32c.c - CRC-32C (Castagnoli), the checksum of each WAL record: the
 * polynomial of iSCSI and ext4 metadata, which catches every burst error
 * up to 32 bits. Table-driven, one table built once.
 */
#include <pthread.h>

#include "server.h"

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ UINT32_C(0x82F63B78) : c >> 1;
        table[i] = c;
    }
}

uint32_t crc32c(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&table_once, build_table);
    const unsigned char *p = data;
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
