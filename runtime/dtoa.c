/*
 * dtoa.c - doubles to decimal text and decimals to doubles, exactly, with
 * one table of 128-bit powers of ten (dtoa_table.h, made by
 * dtoa_table.py).
 *
 * Formatting (fdl_dtoa) keeps the rule fdlc has always printed by: the
 * correctly rounded P-significant-digit decimal for the smallest P in
 * {15, 16, 17} that reads back as the same double, written as printf's
 * "%.Pg" writes it (exponent form when the decimal exponent X < -4 or
 * X >= P, trailing zeros dropped, at least two exponent digits). The text
 * is the one snprintf + strtod used to find; tests/unit/test_dtoa.c checks
 * that against them on millions of doubles.
 *
 * How: f = m * 2^e. For a decimal exponent q, x = f * 10^q is computed as
 * the 192-bit product of m (shifted so that its top bit is set) and the
 * table's 10^q, truncated: an integer part and 64 bits of fraction that
 * undershoot the true x by less than 2^-63. Rounding x to an integer, and
 * comparing that integer with the scaled ends of f's rounding interval
 * (where strtod would still return f), are decided from those bits unless
 * the true value may sit exactly on the edge being tested; then a small
 * exact big-integer comparison decides (rare: ties and near-ties).
 *
 * Parsing (fdl_decimal_to_double) is the Eisel-Lemire idea: w * 10^q for a
 * 64-bit w, rounded to 53 bits from the same product, and refused (the
 * caller falls back to strtod) when the truncation could change the
 * rounding, or the result is subnormal or overflows.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

#if !defined(__SIZEOF_INT128__)
#error "dtoa.c needs unsigned __int128 (gcc or clang on a 64-bit target)"
#endif

__extension__ typedef unsigned __int128 u128;   /* gcc and clang */

#include "dtoa_table.h"

/* ------------------------------------------------- the scaled product */

/* M * (hi * 2^64 + lo): 192 bits, most significant word first. */
typedef struct wide {
    uint64_t w2, w1, w0;
} wide;

static inline wide multiply(uint64_t m, const struct fdl_pow10 *p)
{
    u128 low = (u128)m * p->lo;
    u128 high = (u128)m * p->hi;
    u128 middle = (u128)(uint64_t)high + (uint64_t)(low >> 64);
    wide t = {(uint64_t)(high >> 64) + (uint64_t)(middle >> 64), (uint64_t)middle, (uint64_t)low};
    return t;
}

/* M * 2^E * 10^q, truncated: integer part and the fraction's top 64 bits. */
typedef struct scaled {
    uint64_t integer;
    uint64_t fraction;
} scaled;

/*
 * M has one of its top two bits set (the ends of a rounding interval may
 * lose the top one) and the result's integer part is between 1 and 2^63,
 * so the product (at least 2^189) has between 128 and 191 fraction bits:
 * the integer part lies in w2, the fraction across w2 and w1.
 */
static inline scaled scale(uint64_t m, int e, int q)
{
    assert(m >> 62 && q >= FDL_POW10_MIN && q <= FDL_POW10_MAX);
    const struct fdl_pow10 *p = &fdl_pow10_table[q - FDL_POW10_MIN];
    wide t = multiply(m, p);
    int shift = -(e + p->exp2);         /* fraction bits */
    assert(shift >= 128 && shift < 192);
    int s = shift - 128;
    scaled x;
    x.integer = t.w2 >> s;
    x.fraction = (uint64_t)((((u128)t.w2 << 64) | t.w1) >> s);
    return x;
}

/* ------------------------------------------ exact comparison, rarely */

#define BIG_LIMBS 64    /* 2048 bits: the largest operand here has ~900 */

typedef struct big {
    int n;                      /* limbs in use, little-endian */
    uint32_t limb[BIG_LIMBS];
} big;

static void big_set(big *b, uint64_t v)
{
    b->limb[0] = (uint32_t)v;
    b->limb[1] = (uint32_t)(v >> 32);
    b->n = b->limb[1] ? 2 : b->limb[0] ? 1 : 0;
}

static void big_multiply_small(big *b, uint32_t factor)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t product = (uint64_t)b->limb[i] * factor + carry;
        b->limb[i] = (uint32_t)product;
        carry = product >> 32;
    }
    if (carry) {
        assert(b->n < BIG_LIMBS);
        b->limb[b->n++] = (uint32_t)carry;
    }
}

static void big_multiply_pow5(big *b, int n)
{
    for (; n >= 13; n -= 13)
        big_multiply_small(b, 1220703125u);     /* 5^13, the largest under 2^32 */
    uint32_t rest = 1;
    while (n-- > 0)
        rest *= 5;
    big_multiply_small(b, rest);
}

static void big_shift_left(big *b, int bits)
{
    if (b->n == 0 || bits == 0)
        return;
    int words = bits / 32, rest = bits % 32;
    assert(b->n + words + 1 <= BIG_LIMBS);
    b->limb[b->n + words] = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        uint32_t v = b->limb[i];
        if (rest) {
            b->limb[i + words + 1] |= v >> (32 - rest);
            b->limb[i + words] = v << rest;
        } else {
            b->limb[i + words] = v;
        }
    }
    for (int i = 0; i < words; i++)
        b->limb[i] = 0;
    b->n += words + 1;
    while (b->n > 0 && b->limb[b->n - 1] == 0)
        b->n--;
}

static int big_compare(const big *a, const big *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (int i = a->n - 1; i >= 0; i--)
        if (a->limb[i] != b->limb[i])
            return a->limb[i] < b->limb[i] ? -1 : 1;
    return 0;
}

/* The sign of m * 2^e * 10^q - n * 2^g, exactly. */
static int exact_compare(uint64_t m, int e, int q, uint64_t n, int g)
{
    big left, right;
    big_set(&left, m);
    big_set(&right, n);
    /* 10^q = 5^q * 2^q: each power of five on the side where it multiplies. */
    if (q >= 0)
        big_multiply_pow5(&left, q);
    else
        big_multiply_pow5(&right, -q);
    int left_two = e + q, right_two = g;
    if (left_two > right_two)
        big_shift_left(&left, left_two - right_two);
    else
        big_shift_left(&right, right_two - left_two);
    return big_compare(&left, &right);
}

/*
 * The sign of d - (the true M * 2^E * 10^q) given its truncation x, which
 * is below the truth by less than 2^-63: only an integer part of x or x + 1
 * with the fraction at its edges leaves doubt.
 */
static int compare_integer(uint64_t d, scaled x, uint64_t m, int e, int q)
{
    if (d < x.integer)
        return -1;
    if (d == x.integer)
        return x.fraction != 0 ? -1 : -exact_compare(m, e, q, d, 0);
    if (d == x.integer + 1 && x.fraction >= UINT64_MAX - 1)
        return -exact_compare(m, e, q, d, 0);
    return 1;
}

/* x rounded to an integer, ties to even, as printf rounds. */
static uint64_t round_scaled(scaled x, uint64_t m, int e, int q)
{
    const uint64_t half = UINT64_C(1) << 63;
    bool up;
    if (x.fraction < half - 1)
        up = false;
    else if (x.fraction > half)
        up = true;
    else {
        int c = exact_compare(m, e, q, 2 * x.integer + 1, -1);
        up = c > 0 || (c == 0 && (x.integer & 1));
    }
    return x.integer + up;
}

/* ------------------------------------------------------------ digits */

static const char two_digits[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static const uint64_t powers_of_ten[] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
    UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
    UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
    UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
    UINT64_C(1000000000000000), UINT64_C(10000000000000000), UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000),
};

/* The 8 digits of v < 10^8, zero-padded: two independent halves, so the
 * divisions (multiplications) run side by side. */
static inline void write_8_digits(char *out, uint32_t v)
{
    uint32_t high = v / 10000, low = v % 10000;
    memcpy(out, two_digits + 2 * (high / 100), 2);
    memcpy(out + 2, two_digits + 2 * (high % 100), 2);
    memcpy(out + 4, two_digits + 2 * (low / 100), 2);
    memcpy(out + 6, two_digits + 2 * (low % 100), 2);
}

/*
 * Writes d * 10^(x - precision + 1) as "%.Pg" would, d having exactly
 * precision digits: trailing zeros dropped, fixed notation for
 * -4 <= x < precision, else d.ddde+XX. Every copy is of a fixed size:
 * out has room for FDL_DTOA_SIZE bytes, and the digits are followed by
 * zeros in their buffer.
 */
static size_t write_g(char *out, uint64_t d, int x, int precision)
{
    assert(d >= powers_of_ten[precision - 1] && d < powers_of_ten[precision]);
    char buffer[48];
    if (precision == 17)
        write_8_digits(buffer, (uint32_t)(d / UINT64_C(10000000000000000)));
    write_8_digits(buffer + 8, (uint32_t)(d / 100000000 % 100000000));
    uint32_t low = (uint32_t)(d % 100000000);
    if (low == 0)       /* short decimals: 0.745698 is 745698000000000 */
        memcpy(buffer + 16, "00000000", 8);
    else
        write_8_digits(buffer + 16, low);
    memset(buffer + 24, '0', 24);
    const char *digits = buffer + 24 - precision;
    int n = precision;
    if (memcmp(digits + n - 8, "00000000", 8) == 0)
        n -= 8;
    while (digits[n - 1] == '0')
        n--;
    char *p = out;
    if (x < -4 || x >= precision) {
        *p++ = digits[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, 16);
            p += n - 1;
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        int magnitude = x < 0 ? -x : x;
        if (magnitude >= 100) {
            *p++ = (char)('0' + magnitude / 100);
            magnitude %= 100;
        }
        memcpy(p, two_digits + 2 * magnitude, 2);
        p += 2;
    } else if (x >= 0) {
        /* digits, then zeros up to the point if they end before it */
        memcpy(p, digits, 17);
        p += x + 1;
        if (n > x + 1) {
            *p++ = '.';
            memcpy(p, digits + x + 1, 16);
            p += n - x - 1;
        }
    } else {
        memcpy(p, "0.0000", 6);
        p += 2 + (-x - 1);
        memcpy(p, digits, 17);
        p += n;
    }
    return (size_t)(p - out);
}

/* floor(log10(2^k)), for |k| well within 2000 (78913 / 2^18 ~ log10 2). */
static int floor_log10_pow2(int k)
{
    return k >= 0 ? (k * 78913) >> 18 : -((-k * 78913 + (1 << 18) - 1) >> 18);
}

/* ------------------------------------------------------------ format */

__extension__ typedef __int128 i128;

/* 2^e2 * 10^q in 64.64 fixed point, truncated (below the truth by less
 * than 2^-63); only for results under 2^63. */
static inline u128 scaled_power(int e2, int q)
{
    const struct fdl_pow10 *p = &fdl_pow10_table[q - FDL_POW10_MIN];
    int r = -(p->exp2 + e2 + 64);   /* bits to drop from the 128-bit mantissa */
    assert(r > 0);
    if (r >= 128)
        return 0;
    return (((u128)p->hi << 64) | p->lo) >> r;
}

/*
 * Whether the integer d reads back as f, given x = f * 10^q truncated and
 * the half gaps to f's neighbours scaled alike (g_up above, g_down below,
 * truncated too): strtod returns f for decimals strictly inside. 1 yes,
 * 0 no, -1 too close to an edge to tell from truncated values.
 */
static int reads_back_fast(uint64_t d, scaled x, i128 g_up, i128 g_down)
{
    /* x and the gaps are below the truth by < 2 units of 2^-64, so with
     * a = d - x (computed) the truth is in (a - 2, a]. */
    i128 a = (i128)((u128)d << 64) - (i128)(((u128)x.integer << 64) | x.fraction);
    int up, down;
    /* below the upper end: d - x < g_up */
    if (a < g_up)
        up = 1;
    else if (a >= g_up + 4)
        up = 0;
    else
        return -1;
    /* above the lower end: x - d < g_down, x - d in [-a, -a + 2) */
    if (-a + 2 <= g_down)
        down = 1;
    else if (-a >= g_down + 2)
        down = 0;
    else
        return -1;
    return up && down;
}

/*
 * x / unit rounded to an integer, ties to even, for unit 100 or 10 (x at
 * 17 digits, the result at 15 or 16): from the remainder of x's integer
 * part and its fraction. *sure false when the truncation leaves doubt
 * (the truth within 2^-63 of a half); *floor is x / unit rounded down,
 * which the doubt never concerns.
 */
static inline uint64_t round_divided(scaled x, uint64_t unit, uint64_t *floor, bool *sure)
{
    assert(unit == 100 || unit == 10);
    uint64_t quotient = unit == 100 ? x.integer / 100 : x.integer / 10;
    uint64_t rest = x.integer - quotient * unit, half = unit / 2;
    *floor = quotient;
    *sure = true;
    if (rest < half - 1)
        return quotient;
    if (rest > half)
        return quotient + 1;
    if (rest == half - 1) {
        *sure = x.fraction < UINT64_MAX - 1;
        return quotient;
    }
    /* rest == half: above it unless the fraction is (near) zero */
    *sure = x.fraction != 0;
    return quotient + 1;
}

/*
 * Whether the integer d, at the scale of x = f * 10^q, reads back as
 * f = m * 2^e = mn * 2^en (mn: m shifted left by shift): inside the
 * interval of the half gaps g_up and g_down around x, or on its edge when
 * m is even (strtod's ties go to even). Exactly, where the truncated
 * values leave doubt.
 */
static bool reads_back(uint64_t d, scaled x, i128 g_up, i128 g_down, uint64_t m, int shift,
                       int en, bool closer_below, int q)
{
    int verdict = reads_back_fast(d, x, g_up, g_down);
    if (verdict >= 0)
        return verdict > 0;
    /* The interval's ends in mn's units (shift >= 11). */
    uint64_t mn = m << shift;
    uint64_t upper = mn + (UINT64_C(1) << (shift - 1));
    uint64_t lower = mn - (UINT64_C(1) << (shift - (closer_below ? 2 : 1)));
    bool even = (m & 1) == 0;
    int above_lower = compare_integer(d, scale(lower, en, q), lower, en, q);
    int below_upper = -compare_integer(d, scale(upper, en, q), upper, en, q);
    return (above_lower > 0 || (above_lower == 0 && even)) &&
           (below_upper > 0 || (below_upper == 0 && even));
}

size_t fdl_dtoa(double f, char *out)
{
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    uint64_t fraction_bits = bits & ((UINT64_C(1) << 52) - 1);
    int biased = (int)(bits >> 52 & 0x7ff);
    char *p = out;
    if (biased == 0x7ff) {
        const char *word = fraction_bits ? "nan" : bits >> 63 ? "-inf" : "inf";
        size_t n = strlen(word);
        memcpy(out, word, n + 1);
        return n;
    }
    if (bits >> 63)
        *p++ = '-';
    if (biased == 0 && fraction_bits == 0) {
        *p++ = '0';
        *p = '\0';
        return (size_t)(p - out);
    }

    /* f = m * 2^e, then m shifted up to a 64-bit m with its top bit set. */
    uint64_t m = biased ? fraction_bits | UINT64_C(1) << 52 : fraction_bits;
    int e = biased ? biased - 1075 : -1074;
    int shift = __builtin_clzll(m);
    uint64_t mn = m << shift;
    int en = e - shift;
    /* Below a power of two the gap to the lower neighbour is half. */
    bool closer_below = fraction_bits == 0 && biased > 1;

    /* k = floor(log10 |f|): f lies in [2^(en+63), 2^(en+64)), so the
     * estimate is k or k - 1; the 17-digit scaling tells which. */
    int k = floor_log10_pow2(en + 63);
    scaled x = scale(mn, en, 16 - k);
    if (x.integer >= powers_of_ten[17]) {
        k++;
        x = scale(mn, en, 16 - k);
    } else if (x.integer < powers_of_ten[16]) {
        k--;
        x = scale(mn, en, 16 - k);
    }
    /*
     * x = f * 10^(16 - k) is all it takes: the 15- and 16-digit decimals
     * are x / 100 and x / 10 rounded, and each reads back when it lies
     * within the half gaps around f, all three compared at x's scale.
     */
    int q = 16 - k;
    i128 g_up = (i128)scaled_power(e - 1, q);
    i128 g_down = closer_below ? g_up >> 1 : g_up;     /* still < 2 units short */
    for (int precision = 15;; precision++) {
        uint64_t unit = powers_of_ten[17 - precision];
        uint64_t d;
        if (precision == 17) {
            d = round_scaled(x, mn, en, q);
        } else {
            bool sure;
            uint64_t floor;
            d = round_divided(x, unit, &floor, &sure);
            if (!sure) {
                /* Against floor + 1/2 exactly, at this precision's scale. */
                int c = exact_compare(mn, en, precision - 1 - k, 2 * floor + 1, -1);
                d = floor + (c > 0 || (c == 0 && (floor & 1)));
            }
        }
        assert(d >= powers_of_ten[precision - 2] && d <= powers_of_ten[precision]);
        /* Does d * 10^-(precision - 1 - k) read back as f? At x's scale
         * that decimal is d * unit. 17 digits always do. */
        assert(precision < 17 || reads_back(d * unit, x, g_up, g_down, m, shift, en, closer_below, q));
        if (precision < 17 && !reads_back(d * unit, x, g_up, g_down, m, shift, en, closer_below, q))
            continue;
        int exponent = k;
        if (d == powers_of_ten[precision]) {
            d = powers_of_ten[precision - 1];   /* 9.99..5 rounded up to 10 */
            exponent++;
        }
        p += write_g(p, d, exponent, precision);
        *p = '\0';
        return (size_t)(p - out);
    }
}

/* ------------------------------------------------------------- parse */

bool fdl_decimal_to_double(uint64_t w, int q, bool negative, double *out)
{
    uint64_t sign = negative ? UINT64_C(1) << 63 : 0;
    if (w == 0) {
        memcpy(out, &sign, sizeof sign);
        return true;
    }
    if (q < FDL_POW10_MIN || q > FDL_POW10_MAX)
        return false;
    const struct fdl_pow10 *p = &fdl_pow10_table[q - FDL_POW10_MIN];
    int shift = __builtin_clzll(w);
    uint64_t wn = w << shift;
    wide t = multiply(wn, p);
    /* value = t * 2^(exp2 - shift), t in [2^190, 2^192); the truth is in
     * [t, t + wn) in these units, and exactly t when 0 <= q <= 55. */
    int top = t.w2 >> 63 ? 191 : 190;
    int below = top - 52;       /* bits under the 53-bit mantissa: 137 or 138 */
    /* mantissa = t >> below; the remainder is the bits under it. */
    int s = below - 128;        /* 9 or 10 */
    uint64_t mantissa = t.w2 >> s;
    /* rest_high: the top 64 bits of the remainder; t.w1's low s bits and
     * t.w0 lie under it. */
    uint64_t rest_high = (uint64_t)((((u128)t.w2 << 64) | t.w1) >> s);
    uint64_t rest_low_w1 = t.w1 & ((UINT64_C(1) << s) - 1);
    bool rest_below_zero = rest_low_w1 == 0 && t.w0 == 0;
    const uint64_t half = UINT64_C(1) << 63;
    bool exact = q >= 0 && q <= 55;
    bool up;
    if (rest_high > half || (rest_high == half && !rest_below_zero)) {
        up = true;
    } else if (rest_high == half) {
        /* Exactly half of t; the truth is above it unless t is exact. */
        up = exact ? (mantissa & 1) != 0 : true;
    } else if (exact) {
        up = false;
    } else {
        /* Under half: refuse when t + wn could reach it. The remainder
         * under the top 64 bits spans 2^(s + 64) units, wn < 2^64. */
        if (rest_high == half - 1)
            return false;
        up = false;
    }
    int binary_exponent = p->exp2 - shift + below;      /* of the mantissa's unit */
    int biased = binary_exponent + 1075;
    if (biased < 1)
        return false;   /* subnormal: strtod rounds those */
    mantissa += up;
    if (mantissa == UINT64_C(1) << 53) {
        mantissa >>= 1;
        biased++;
    }
    if (biased > 2046)
        return false;   /* overflow */
    uint64_t bits = sign | (uint64_t)biased << 52 | (mantissa & ((UINT64_C(1) << 52) - 1));
    memcpy(out, &bits, sizeof bits);
    return true;
}
