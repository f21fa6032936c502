/* mod_random.c — the random module: a Mersenne Twister that matches CPython.
 *
 * Owns: RandomType (random.Random), the hidden module-level instance whose
 * bound methods are random.random, random.seed …, MT19937 itself, CPython's
 * seeding (init_by_array over the 32-bit chunks of |seed|; str/bytes seeds
 * through SHA-512 as Lib/random.py's version 2 does), and the methods of
 * Lib/random.py rewritten in C step for step (_randbelow by rejection over
 * getrandbits, randrange, choice, shuffle, sample, choices, uniform, gauss …)
 * so that `random.seed(n)` followed by any of them prints what python3 prints.
 * Must not touch: int internals (it goes through int_internal.h) or other
 * objects' layouts.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"
#include "int_internal.h"

/* ===== MT19937 (Matsumoto & Nishimura), as in CPython's _randommodule.c ================= */

#define MT_N 624
#define MT_M 397
#define MATRIX_A   0x9908b0dfU
#define UPPER_MASK 0x80000000U
#define LOWER_MASK 0x7fffffffU

typedef struct {
    Obj h;
    Value dict;                 /* instance __dict__ for subclasses (dict_offset) */
    uint32_t mt[MT_N];
    int index;
    bool has_gauss_next;        /* gauss() produces values in pairs */
    double gauss_next;
} RandomObj;

#define AS_RANDOM(v) ((RandomObj *)AS_OBJ(v))

static Type RandomType;

static void init_genrand(RandomObj *r, uint32_t s) {
    uint32_t *mt = r->mt;
    mt[0] = s;
    for (int i = 1; i < MT_N; i++)
        mt[i] = 1812433253U * (mt[i - 1] ^ (mt[i - 1] >> 30)) + (uint32_t)i;
    r->index = MT_N;
}

static void init_by_array(RandomObj *r, const uint32_t *key, size_t len) {
    uint32_t *mt = r->mt;
    init_genrand(r, 19650218U);
    size_t i = 1, j = 0;
    for (size_t k = MT_N > len ? MT_N : len; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U)) + key[j] + (uint32_t)j;
        i++; j++;
        if (i >= MT_N) { mt[0] = mt[MT_N - 1]; i = 1; }
        if (j >= len) j = 0;
    }
    for (size_t k = MT_N - 1; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941U)) - (uint32_t)i;
        i++;
        if (i >= MT_N) { mt[0] = mt[MT_N - 1]; i = 1; }
    }
    mt[0] = 0x80000000U;        /* non-zero initial state */
}

static uint32_t genrand_uint32(RandomObj *r) {
    static const uint32_t mag01[2] = {0, MATRIX_A};
    uint32_t *mt = r->mt, y;
    if (r->index >= MT_N) {     /* refill the whole block */
        int kk;
        for (kk = 0; kk < MT_N - MT_M; kk++) {
            y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
            mt[kk] = mt[kk + MT_M] ^ (y >> 1) ^ mag01[y & 1];
        }
        for (; kk < MT_N - 1; kk++) {
            y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
            mt[kk] = mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1];
        }
        y = (mt[MT_N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
        mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1];
        r->index = 0;
    }
    y = mt[r->index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

/* random(): 53 random bits in [0, 1), exactly CPython's formula. */
static double random_double(RandomObj *r) {
    uint32_t a = genrand_uint32(r) >> 5, b = genrand_uint32(r) >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

/* getrandbits(k) for k <= 64. The first word drawn is the least significant. */
static uint64_t getrandbits_u64(RandomObj *r, unsigned k) {
    if (k == 0) return 0;
    if (k <= 32) return genrand_uint32(r) >> (32 - k);
    uint64_t lo = genrand_uint32(r);
    uint64_t hi = genrand_uint32(r) >> (64 - k);
    return lo | hi << 32;
}

/* getrandbits(k) for any k, as an int. */
static Value getrandbits_value(RandomObj *r, uint64_t k) {
    if (k <= 64) return int_from_u64(getrandbits_u64(r, (unsigned)k));
    if (k > INT_MAX_BITS) return err_no_memory();
    size_t words = (size_t)((k - 1) / 32 + 1);
    uint32_t *w = gc_malloc(words * sizeof(uint32_t));
    if (!w) return VNULL;
    for (size_t i = 0; i < words; i++, k -= 32) {
        uint32_t x = genrand_uint32(r);
        if (k < 32) x >>= 32 - k;
        w[i] = x;
    }
    mpz_t z;
    mpz_init(z);
    mpz_import(z, words, -1, sizeof(uint32_t), 0, 0, w);
    gc_free(w);
    return int_from_mpz_steal(z);
}

/* _randbelow_with_getrandbits(n): r = getrandbits(n.bit_length()) until r < n. n > 0. */
static uint64_t randbelow_u64(RandomObj *r, uint64_t n) {
    unsigned k = 64 - (unsigned)__builtin_clzll(n);
    uint64_t x;
    do x = getrandbits_u64(r, k); while (x >= n);
    return x;
}

static Value randbelow(RandomObj *r, Value n) {
    int64_t small;
    if (IS_INT(n) && (small = AS_INT(n)) > 0) return int_from_u64(randbelow_u64(r, (uint64_t)small));
    IntArg a;
    mpz_srcptr z = int_arg(&a, n);
    if (mpz_sgn(z) <= 0) return MK_INT(0);           /* callers check; never loop forever */
    uint64_t k = mpz_sizeinbase(z, 2);
    for (;;) {
        Value x = getrandbits_value(r, k);
        if (!x) return VNULL;
        if (int_cmp(x, n) < 0) return x;
        decref(x);
    }
}

/* ===== SHA-512 (FIPS 180-4), for str and bytes seeds ===================================== */

static const uint64_t sha512_k[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

#define ROR64(x, n) (((x) >> (n)) | ((x) << (64 - (n))))

static void sha512_block(uint64_t h[8], const uint8_t *p) {
    uint64_t w[80];
    for (int i = 0; i < 16; i++) {
        w[i] = 0;
        for (int b = 0; b < 8; b++) w[i] = w[i] << 8 | p[i * 8 + b];
    }
    for (int i = 16; i < 80; i++) {
        uint64_t s0 = ROR64(w[i - 15], 1) ^ ROR64(w[i - 15], 8) ^ (w[i - 15] >> 7);
        uint64_t s1 = ROR64(w[i - 2], 19) ^ ROR64(w[i - 2], 61) ^ (w[i - 2] >> 6);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 80; i++) {
        uint64_t t1 = hh + (ROR64(e, 14) ^ ROR64(e, 18) ^ ROR64(e, 41)) + ((e & f) ^ (~e & g)) +
                      sha512_k[i] + w[i];
        uint64_t t2 = (ROR64(a, 28) ^ ROR64(a, 34) ^ ROR64(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha512(const uint8_t *data, size_t len, uint8_t out[64]) {
    uint64_t h[8] = {
        0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
        0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
    };
    size_t i = 0;
    for (; i + 128 <= len; i += 128) sha512_block(h, data + i);
    uint8_t last[256] = {0};
    size_t rest = len - i;
    memcpy(last, data + i, rest);
    last[rest] = 0x80;
    size_t total = rest + 1 + 16 <= 128 ? 128 : 256;
    uint64_t bits = (uint64_t)len * 8;
    for (int b = 0; b < 8; b++) last[total - 1 - b] = (uint8_t)(bits >> (8 * b));
    sha512_block(h, last);
    if (total == 256) sha512_block(h, last + 128);
    for (int k = 0; k < 8; k++)
        for (int b = 0; b < 8; b++) out[k * 8 + b] = (uint8_t)(h[k] >> (56 - 8 * b));
}

/* ===== seeding ============================================================================ */

/* init_by_array over the 32-bit chunks of |z|, least significant first. */
static int seed_from_mpz(RandomObj *r, mpz_srcptr z) {
    size_t bits = mpz_sgn(z) ? mpz_sizeinbase(z, 2) : 0;
    size_t n = bits == 0 ? 1 : (bits - 1) / 32 + 1;
    uint32_t *key = gc_calloc(n, sizeof(uint32_t));
    if (!key) return -1;
    size_t count = 0;
    if (bits) mpz_export(key, &count, -1, sizeof(uint32_t), 0, 0, z);   /* ignores the sign */
    init_by_array(r, key, n);
    gc_free(key);
    return 0;
}

static void seed_from_os(RandomObj *r) {
    uint32_t key[MT_N];
    size_t got = 0;
    while (got < sizeof key) {
        ssize_t n = getrandom((char *)key + got, sizeof key - got, 0);
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got < sizeof key) {     /* no OS entropy: time and pid, as CPython's fallback */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        key[0] = (uint32_t)ts.tv_sec;
        key[1] = (uint32_t)ts.tv_nsec;
        key[2] = (uint32_t)getpid();
        clock_gettime(CLOCK_MONOTONIC, &ts);
        key[3] = (uint32_t)ts.tv_nsec;
        init_by_array(r, key, 4);
        return;
    }
    init_by_array(r, key, MT_N);
}

/* seed(a, version=2): Lib/random.py's Random.seed and _random.Random.seed. */
static int random_seed_value(RandomObj *r, Value a, int64_t version) {
    r->has_gauss_next = false;
    if (!a || IS_NONE(a)) { seed_from_os(r); return 0; }
    bool is_str = str_check(a), is_bytes = obj_isinstance_type(a, &BytesType);
    if (version == 1 && (is_str || is_bytes)) {
        /* the old string hash: characters as code points (bytes as latin-1) */
        const uint8_t *p = is_str ? (const uint8_t *)STR_DATA(a) : AS_BYTES(a)->data;
        size_t len = is_str ? STR_LEN(a) : AS_BYTES(a)->len, nchars = 0;
        uint64_t x = 0;
        bool first = true;
        for (size_t i = 0; i < len;) {
            uint32_t c;
            if (is_str) i += str_utf8_decode((const char *)p + i, len - i, &c);
            else c = p[i++];
            if (first) { x = (uint64_t)c << 7; first = false; }
            x = (1000003 * x) ^ c;
            nchars++;
        }
        x ^= nchars;
        mpz_t z;
        mpz_init_set_ui(z, x);
        int rc = seed_from_mpz(r, z);
        mpz_clear(z);
        return rc;
    }
    if (is_str || is_bytes) {
        /* version 2: int.from_bytes(a + sha512(a).digest(), 'big') */
        const uint8_t *p = is_str ? (const uint8_t *)STR_DATA(a) : AS_BYTES(a)->data;
        size_t len = is_str ? STR_LEN(a) : AS_BYTES(a)->len;
        uint8_t *buf = gc_malloc(len + 64);
        if (!buf) return -1;
        memcpy(buf, p, len);
        sha512(p, len, buf + len);
        mpz_t z;
        mpz_init(z);
        mpz_import(z, len + 64, 1, 1, 1, 0, buf);
        gc_free(buf);
        int rc = seed_from_mpz(r, z);
        mpz_clear(z);
        return rc;
    }
    if (int_check(a)) {
        IntArg ia;
        return seed_from_mpz(r, int_arg(&ia, a));   /* |a|: the sign is ignored */
    }
    if (!float_check(a)) {
        err_format(&Exc_TypeError, "The only supported seed types are: None,\n"
                   "int, float, str, bytes, and bytearray.");
        return -1;
    }
    int64_t h = obj_hash(a);                        /* floats: their hash, as a size_t */
    if (h == -1 && err_occurred()) return -1;
    mpz_t z;
    mpz_init_set_ui(z, (uint64_t)h);
    int rc = seed_from_mpz(r, z);
    mpz_clear(z);
    return rc;
}

/* ===== argument helpers ===================================================================== */

/* Bind positional and keyword arguments to `names`; out[i] VNULL if absent. */
static int bind(const char *fname, Value *args, size_t nargs, Value kwnames,
                const char *const *names, size_t npos_max, size_t required, Value *out) {
    size_t n = 0;
    while (names[n]) n++;
    if (nargs > npos_max) {
        err_format(&Exc_TypeError, "Random.%s() takes from %zu to %zu positional arguments but %zu were given",
                   fname, required + 1, npos_max + 1, nargs + 1);
        if (required == npos_max) {
            err_clear();
            err_format(&Exc_TypeError, "Random.%s() takes %zu positional argument%s but %zu were given",
                       fname, npos_max + 1, npos_max + 1 == 1 ? "" : "s", nargs + 1);
        }
        return -1;
    }
    for (size_t i = 0; i < n; i++) out[i] = i < nargs ? args[i] : VNULL;
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    for (size_t k = 0; k < nkw; k++) {
        Value name = TUPLE_ITEMS(kwnames)[k];
        size_t i = 0;
        while (i < n && !str_eq_cstr(name, names[i])) i++;
        if (i == n) {
            err_format(&Exc_TypeError, "Random.%s() got an unexpected keyword argument '%S'", fname, name);
            return -1;
        }
        if (out[i]) {
            err_format(&Exc_TypeError, "Random.%s() got multiple values for argument '%s'", fname, names[i]);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    for (size_t i = 0; i < required; i++) {
        if (!out[i]) {
            size_t missing = 0;
            for (size_t j = i; j < required; j++) missing += !out[j];
            if (missing == 1) {
                err_format(&Exc_TypeError, "Random.%s() missing 1 required positional argument: '%s'",
                           fname, names[i]);
            } else {
                StrBuf b;
                sb_init(&b);
                sb_addf(&b, "Random.%s() missing %zu required positional arguments: ", fname, missing);
                size_t seen = 0;
                for (size_t j = i; j < required; j++) {
                    if (out[j]) continue;
                    seen++;
                    sb_addf(&b, "'%s'", names[j]);
                    if (seen + 1 == missing) sb_adds(&b, " and ");
                    else if (seen < missing) sb_adds(&b, ", ");
                }
                Value msg = sb_finish(&b);
                if (msg) { err_set_type(&Exc_TypeError, msg); decref(msg); }
            }
            return -1;
        }
    }
    return 0;
}

static int arg_float(Value v, double *out) {
    if (float_check(v)) { *out = ((FloatObj *)AS_OBJ(v))->v; return 0; }
    return float_as_double(v, out);
}

/* ===== the Random methods ==================================================================== */

static Value r_random(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("Random.random", nargs, kwnames) < 0) return VNULL;
    return float_new(random_double(AS_RANDOM(self)));
}

static Value r_seed(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"a", "version", NULL};
    Value a[2];
    if (bind("seed", args, nargs, kwnames, names, 2, 0, a) < 0) return VNULL;
    int64_t version = 2;
    if (a[1] && int_check(a[1]) && int_as_i64(a[1], &version) < 0) return VNULL;
    if (random_seed_value(AS_RANDOM(self), a[0], version) < 0) return VNULL;
    return none_new();
}

static Value r_getrandbits(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("Random.getrandbits", nargs, kwnames) < 0) return VNULL;
    intptr_t k;
    if (index_as_ssize(args[0], &k, &Exc_OverflowError) < 0) return VNULL;
    if (k < 0) return err_format(&Exc_ValueError, "number of bits must be non-negative");
    return getrandbits_value(AS_RANDOM(self), (uint64_t)k);
}

static Value r_randbytes(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"n", NULL};
    Value a[1];
    if (bind("randbytes", args, nargs, kwnames, names, 1, 1, a) < 0) return VNULL;
    intptr_t n;
    if (index_as_ssize(a[0], &n, &Exc_OverflowError) < 0) return VNULL;
    if (n < 0) return err_format(&Exc_ValueError, "negative argument not allowed");
    if ((uint64_t)n > INT_MAX_BITS / 8) return err_no_memory();
    /* getrandbits(n * 8).to_bytes(n, 'little'): the words, low byte first */
    uint8_t *buf = gc_malloc((size_t)n + 4);
    if (!buf) return VNULL;
    RandomObj *r = AS_RANDOM(self);
    uint64_t k = (uint64_t)n * 8;
    for (size_t i = 0; k > 0; i += 4) {
        uint32_t x = genrand_uint32(r);
        if (k < 32) x >>= 32 - k;
        for (int b = 0; b < 4; b++) buf[i + b] = (uint8_t)(x >> (8 * b));
        k = k >= 32 ? k - 32 : 0;
    }
    Value v = bytes_new(buf, (size_t)n);
    gc_free(buf);
    return v;
}

/* _index(x) with randrange's 3.11 fallback: an integral float (or anything
 * int() accepts and that compares equal) is used, with CPython's messages. */
static Value range_arg(Value x, const char *what) {
    Value v = index_value(x);
    if (v || !err_matches(&Exc_TypeError)) return v;
    Value saved = err_fetch();
    Value i = obj_call1(OBJ_VAL(&IntType), x);
    if (!i) { decref(saved); return VNULL; }
    int eq = obj_eq(i, x);
    if (eq <= 0) {
        decref(i);
        decref(saved);
        if (eq == 0) err_format(&Exc_ValueError, "non-integer %s for randrange()", what);
        return VNULL;
    }
    decref(saved);
    return i;
}

static Value randrange(RandomObj *r, Value start, Value stop, Value step) {
    Value istart = range_arg(start, "arg 1"), istop = VNULL, istep = VNULL, width = VNULL;
    Value result = VNULL;
    if (!istart) return VNULL;
    if (!stop || IS_NONE(stop)) {
        if (step && !(IS_INT(step) && AS_INT(step) == 1)) {
            err_format(&Exc_TypeError, "Missing a non-None stop argument");
        } else if (int_sign(istart) > 0) {
            result = randbelow(r, istart);
        } else {
            err_format(&Exc_ValueError, "empty range for randrange()");
        }
        decref(istart);
        return result;
    }
    if (!(istop = range_arg(stop, "stop"))) goto done;
    if (!(width = int_binop(istop, istart, OP_SUB))) goto done;
    if (!(istep = step ? range_arg(step, "step") : MK_INT(1))) goto done;
    if (IS_INT(istep) && AS_INT(istep) == 1) {
        if (int_sign(width) > 0) {
            Value k = randbelow(r, width);
            if (k) { result = int_binop(istart, k, OP_ADD); decref(k); }
        } else {
            err_format(&Exc_ValueError, "empty range for randrange() (%S, %S, %S)", istart, istop, width);
        }
        goto done;
    }
    int sgn = int_sign(istep);
    if (sgn == 0) { err_format(&Exc_ValueError, "zero step for randrange()"); goto done; }
    /* n = (width + istep - 1) // istep, or (width + istep + 1) // istep for negative steps */
    Value t = int_binop(width, istep, OP_ADD);
    if (!t) goto done;
    Value t2 = int_binop(t, MK_INT(sgn > 0 ? -1 : 1), OP_ADD);
    decref(t);
    if (!t2) goto done;
    Value n = int_binop(t2, istep, OP_FLOORDIV);
    decref(t2);
    if (!n) goto done;
    if (int_sign(n) <= 0) {
        err_format(&Exc_ValueError, "empty range for randrange()");
    } else {
        Value k = randbelow(r, n);
        Value off = k ? int_binop(istep, k, OP_MUL) : VNULL;
        if (off) result = int_binop(istart, off, OP_ADD);
        decref(k);
        decref(off);
    }
    decref(n);
done:
    decref(istart);
    decref(istop);
    decref(istep);
    decref(width);
    return result;
}

static Value r_randrange(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"start", "stop", "step", NULL};
    Value a[3];
    if (bind("randrange", args, nargs, kwnames, names, 3, 1, a) < 0) return VNULL;
    return randrange(AS_RANDOM(self), a[0], a[1], a[2]);
}

static Value r_randint(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"a", "b", NULL};
    Value a[2];
    if (bind("randint", args, nargs, kwnames, names, 2, 2, a) < 0) return VNULL;
    Value stop = obj_binop(a[1], MK_INT(1), OP_ADD);
    if (!stop) return VNULL;
    Value r = randrange(AS_RANDOM(self), a[0], stop, VNULL);
    decref(stop);
    return r;
}

static Value r_choice(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"seq", NULL};
    Value a[1];
    if (bind("choice", args, nargs, kwnames, names, 1, 1, a) < 0) return VNULL;
    intptr_t n = obj_len(a[0]);
    if (n < 0) return VNULL;
    if (n == 0) return err_format(&Exc_IndexError, "Cannot choose from an empty sequence");
    uint64_t i = randbelow_u64(AS_RANDOM(self), (uint64_t)n);
    return obj_getitem(a[0], MK_INT((intptr_t)i));
}

static Value r_shuffle(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"x", NULL};
    Value a[1];
    if (bind("shuffle", args, nargs, kwnames, names, 1, 1, a) < 0) return VNULL;
    Value x = a[0];
    RandomObj *r = AS_RANDOM(self);
    intptr_t n = obj_len(x);
    if (n < 0) return VNULL;
    for (intptr_t i = n - 1; i >= 1; i--) {
        intptr_t j = (intptr_t)randbelow_u64(r, (uint64_t)i + 1);
        if (IS_TYPE(x, &ListType) && (size_t)i < LIST_LEN(x)) {   /* x[i], x[j] = x[j], x[i] */
            Value *items = LIST_ITEMS(x);
            Value t = items[i]; items[i] = items[j]; items[j] = t;
            continue;
        }
        Value xj = obj_getitem(x, MK_INT(j));
        if (!xj) return VNULL;
        Value xi = obj_getitem(x, MK_INT(i));
        if (!xi) { decref(xj); return VNULL; }
        int rc = obj_setitem(x, MK_INT(i), xj);
        if (rc == 0) rc = obj_setitem(x, MK_INT(j), xi);
        decref(xi);
        decref(xj);
        if (rc < 0) return VNULL;
    }
    return none_new();
}

static Value r_uniform(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"a", "b", NULL};
    Value a[2];
    if (bind("uniform", args, nargs, kwnames, names, 2, 2, a) < 0) return VNULL;
    /* a + (b - a) * self.random(), with Python's arithmetic */
    Value d = obj_binop(a[1], a[0], OP_SUB);
    if (!d) return VNULL;
    Value u = float_new(random_double(AS_RANDOM(self)));
    Value t = u ? obj_binop(d, u, OP_MUL) : VNULL;
    decref(d);
    decref(u);
    if (!t) return VNULL;
    Value res = obj_binop(a[0], t, OP_ADD);
    decref(t);
    return res;
}

static bool is_sequence(Value v) {
    Type *t = TYPE_OF(v);
    return type_is_subtype(t, &ListType) || type_is_subtype(t, &TupleType) ||
           type_is_subtype(t, &StrType) || type_is_subtype(t, &BytesType) ||
           type_is_subtype(t, &RangeType);
}

/* k as a count: [None] * k's rules (TypeError for non-ints). */
static int count_arg(Value k, intptr_t *out) {
    if (!int_check(k) && !type_lookup(TYPE_OF(k), NM.__index__)) {
        err_format(&Exc_TypeError, "can't multiply sequence by non-int of type '%s'", obj_type_name(k));
        return -1;
    }
    return index_as_ssize(k, out, &Exc_OverflowError);
}

/* bisect_right(a, x, 0, hi) over a list of Values */
static intptr_t bisect_right(Value *a, intptr_t hi, Value x) {
    intptr_t lo = 0;
    while (lo < hi) {
        intptr_t mid = (lo + hi) / 2;
        int lt = obj_richcmp_bool(x, a[mid], RC_LT);
        if (lt < 0) return -1;
        if (lt) hi = mid; else lo = mid + 1;
    }
    return lo;
}

/* list(itertools.accumulate(iterable)) */
static Value accumulate(Value iterable) {
    Value it = obj_iter(iterable);
    if (!it) return VNULL;
    Value out = list_new(0), acc = VNULL, item;
    if (!out) { decref(it); return VNULL; }
    while ((item = obj_next(it))) {
        if (!acc) { acc = item; }
        else {
            Value s = obj_binop(acc, item, OP_ADD);
            decref(item);
            decref(acc);
            acc = s;
            if (!acc) break;
        }
        if (list_append(out, acc) < 0) break;
    }
    decref(it);
    decref(acc);
    if (err_occurred()) { decref(out); return VNULL; }
    return out;
}

static Value sample(RandomObj *r, Value population, Value kv, Value counts);

static Value sample_with_counts(RandomObj *r, Value population, intptr_t n, Value kv, Value counts) {
    Value cum = accumulate(counts);
    if (!cum) return VNULL;
    Value result = VNULL, sel = VNULL, range = VNULL;
    if ((intptr_t)LIST_LEN(cum) != n) {
        err_format(&Exc_ValueError, "The number of counts does not match the population");
        goto done;
    }
    Value total = LIST_ITEMS(cum)[--AS_LIST(cum)->len];       /* cum_counts.pop() */
    if (!int_check(total)) { decref(total); err_format(&Exc_TypeError, "Counts must be integers"); goto done; }
    if (int_sign(total) <= 0) {
        decref(total);
        err_format(&Exc_ValueError, "Total of counts must be greater than zero");
        goto done;
    }
    range = range_new(MK_INT(0), total, MK_INT(1));
    decref(total);
    if (!range || !(sel = sample(r, range, kv, VNULL))) goto done;
    result = list_new(LIST_LEN(sel));
    if (!result) goto done;
    for (size_t i = 0; i < LIST_LEN(sel); i++) {
        intptr_t j = bisect_right(LIST_ITEMS(cum), (intptr_t)LIST_LEN(cum), LIST_ITEMS(sel)[i]);
        Value item = j < 0 ? VNULL : obj_getitem(population, MK_INT(j));
        if (!item) { decref(result); result = VNULL; goto done; }
        LIST_ITEMS(result)[i] = item;
    }
done:
    decref(cum);
    decref(sel);
    decref(range);
    return result;
}

static Value sample(RandomObj *r, Value population, Value kv, Value counts) {
    if (!is_sequence(population))
        return err_format(&Exc_TypeError, "Population must be a sequence.  "
                          "For dicts or sets, use sorted(d).");
    intptr_t n = obj_len(population);
    if (n < 0) return VNULL;
    if (counts && !IS_NONE(counts)) return sample_with_counts(r, population, n, kv, counts);
    if (!int_check(kv)) {                     /* 0 <= k <= n is checked before [None] * k */
        int ok = obj_richcmp_bool(MK_INT(0), kv, RC_LE);
        if (ok > 0) ok = obj_richcmp_bool(kv, MK_INT(n), RC_LE);
        if (ok < 0) return VNULL;
        if (!ok) return err_format(&Exc_ValueError, "Sample larger than population or is negative");
    }
    intptr_t k;
    if (count_arg(kv, &k) < 0) return VNULL;
    if (k < 0 || k > n) return err_format(&Exc_ValueError, "Sample larger than population or is negative");
    Value result = list_new((size_t)k);
    if (!result) return VNULL;
    for (intptr_t i = 0; i < k; i++) LIST_ITEMS(result)[i] = none_new();
    intptr_t setsize = 21;
    if (k > 5) setsize += (intptr_t)pow(4.0, ceil(log((double)(k * 3)) / log(4.0)));
    if (n <= setsize) {
        Value pool = list_from_iterable(population);
        if (!pool) { decref(result); return VNULL; }
        for (intptr_t i = 0; i < k; i++) {
            intptr_t j = (intptr_t)randbelow_u64(r, (uint64_t)(n - i));
            setref(&LIST_ITEMS(result)[i], incref(LIST_ITEMS(pool)[j]));
            setref(&LIST_ITEMS(pool)[j], incref(LIST_ITEMS(pool)[n - i - 1]));
        }
        decref(pool);
        return result;
    }
    Value selected = set_new(VNULL);
    if (!selected) { decref(result); return VNULL; }
    for (intptr_t i = 0; i < k; i++) {
        intptr_t j;
        int in;
        do {
            j = (intptr_t)randbelow_u64(r, (uint64_t)n);
            in = set_contains(selected, MK_INT(j));
            if (in < 0) goto fail;
        } while (in);
        if (set_add(selected, MK_INT(j)) < 0) goto fail;
        Value item = obj_getitem(population, MK_INT(j));
        if (!item) goto fail;
        setref(&LIST_ITEMS(result)[i], item);
    }
    decref(selected);
    return result;
fail:
    decref(selected);
    decref(result);
    return VNULL;
}

static Value r_sample(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"population", "k", "counts", NULL};
    Value a[3];
    if (bind("sample", args, nargs, kwnames, names, 2, 2, a) < 0) return VNULL;
    return sample(AS_RANDOM(self), a[0], a[1], a[2]);
}

static Value r_choices(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"population", "weights", "cum_weights", "k", NULL};
    Value a[4];
    if (bind("choices", args, nargs, kwnames, names, 2, 1, a) < 0) return VNULL;
    RandomObj *r = AS_RANDOM(self);
    Value population = a[0], weights = a[1] && !IS_NONE(a[1]) ? a[1] : VNULL;
    Value cum = a[2] && !IS_NONE(a[2]) ? incref(a[2]) : VNULL;
    intptr_t k = 1;
    if (a[3] && index_as_ssize(a[3], &k, &Exc_OverflowError) < 0) { decref(cum); return VNULL; }
    if (k < 0) k = 0;
    intptr_t n = obj_len(population);
    if (n < 0) { decref(cum); return VNULL; }
    Value result = VNULL;
    if (!cum) {
        if (!weights) {
            result = list_new((size_t)k);
            if (!result) return VNULL;
            for (intptr_t i = 0; i < k; i++) {
                Value item = obj_getitem(population, MK_INT((intptr_t)floor(random_double(r) * (double)n)));
                if (!item) {
                    for (intptr_t j = i; j < k; j++) LIST_ITEMS(result)[j] = none_new();
                    decref(result);
                    return VNULL;
                }
                LIST_ITEMS(result)[i] = item;
            }
            return result;
        }
        cum = accumulate(weights);
        if (!cum) {
            if (err_matches(&Exc_TypeError) && int_check(weights)) {
                err_clear();
                err_format(&Exc_TypeError, "The number of choices must be a keyword argument: k=%S", weights);
            }
            return VNULL;
        }
    } else if (weights) {
        decref(cum);
        return err_format(&Exc_TypeError, "Cannot specify both weights and cumulative weights");
    }
    Value seq = VNULL;
    Value *cw;
    size_t ncw;
    if (!(seq = seq_to_array(cum, &cw, &ncw))) goto done;
    if ((intptr_t)ncw != n) {
        err_format(&Exc_ValueError, "The number of weights does not match the population");
        goto done;
    }
    if (ncw == 0) {                           /* cum_weights[-1] */
        err_format(&Exc_IndexError, "list index out of range");
        goto done;
    }
    Value zero = float_new(0.0);                /* total = cum_weights[-1] + 0.0 */
    Value totalv = zero ? obj_binop(cw[ncw - 1], zero, OP_ADD) : VNULL;
    decref(zero);
    double total;
    if (!totalv) goto done;
    if (arg_float(totalv, &total) < 0) { decref(totalv); goto done; }
    decref(totalv);
    if (total <= 0.0) { err_format(&Exc_ValueError, "Total of weights must be greater than zero"); goto done; }
    if (!isfinite(total)) { err_format(&Exc_ValueError, "Total of weights must be finite"); goto done; }
    result = list_new((size_t)k);
    if (!result) goto done;
    for (intptr_t i = 0; i < k; i++) LIST_ITEMS(result)[i] = none_new();
    for (intptr_t i = 0; i < k; i++) {
        Value x = float_new(random_double(r) * total);
        if (!x) goto fail;
        intptr_t j = bisect_right(cw, n - 1, x);
        decref(x);
        Value item = j < 0 ? VNULL : obj_getitem(population, MK_INT(j));
        if (!item) goto fail;
        setref(&LIST_ITEMS(result)[i], item);
    }
    goto done;
fail:
    decref(result);
    result = VNULL;
done:
    decref(seq);
    decref(cum);
    return result;
}

static Value r_gauss(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"mu", "sigma", NULL};
    Value a[2];
    if (bind("gauss", args, nargs, kwnames, names, 2, 0, a) < 0) return VNULL;
    double mu = 0.0, sigma = 1.0;
    if ((a[0] && arg_float(a[0], &mu) < 0) || (a[1] && arg_float(a[1], &sigma) < 0)) return VNULL;
    RandomObj *r = AS_RANDOM(self);
    double z;
    if (r->has_gauss_next) {
        z = r->gauss_next;
        r->has_gauss_next = false;
    } else {
        double x2pi = random_double(r) * (2 * M_PI);
        double g2rad = sqrt(-2.0 * log(1.0 - random_double(r)));
        z = cos(x2pi) * g2rad;
        r->gauss_next = sin(x2pi) * g2rad;
        r->has_gauss_next = true;
    }
    return float_new(mu + z * sigma);
}

static Value r_normalvariate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"mu", "sigma", NULL};
    Value a[2];
    if (bind("normalvariate", args, nargs, kwnames, names, 2, 0, a) < 0) return VNULL;
    double mu = 0.0, sigma = 1.0;
    if ((a[0] && arg_float(a[0], &mu) < 0) || (a[1] && arg_float(a[1], &sigma) < 0)) return VNULL;
    RandomObj *r = AS_RANDOM(self);
    const double nv_magic = 4 * exp(-0.5) / sqrt(2.0);
    double z;
    for (;;) {
        double u1 = random_double(r);
        double u2 = 1.0 - random_double(r);
        z = nv_magic * (u1 - 0.5) / u2;
        if (z * z / 4.0 <= -log(u2)) break;
    }
    return float_new(mu + z * sigma);
}

static Value r_expovariate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"lambd", NULL};
    Value a[1];
    double lambd;
    if (bind("expovariate", args, nargs, kwnames, names, 1, 1, a) < 0 || arg_float(a[0], &lambd) < 0)
        return VNULL;
    double u = random_double(AS_RANDOM(self));
    if (lambd == 0.0) return err_format(&Exc_ZeroDivisionError, "float division by zero");
    return float_new(-log(1.0 - u) / lambd);
}

static Value r_triangular(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"low", "high", "mode", NULL};
    Value a[3];
    if (bind("triangular", args, nargs, kwnames, names, 3, 0, a) < 0) return VNULL;
    double low = 0.0, high = 1.0, mode = 0.0, c;
    if ((a[0] && arg_float(a[0], &low) < 0) || (a[1] && arg_float(a[1], &high) < 0)) return VNULL;
    bool has_mode = a[2] && !IS_NONE(a[2]);
    if (has_mode && arg_float(a[2], &mode) < 0) return VNULL;
    double u = random_double(AS_RANDOM(self));
    if (!has_mode) c = 0.5;
    else if (high - low == 0.0) return a[0] ? incref(a[0]) : float_new(low);
    else c = (mode - low) / (high - low);
    if (u > c) {
        u = 1.0 - u;
        c = 1.0 - c;
        double t = low; low = high; high = t;
    }
    return float_new(low + (high - low) * sqrt(u * c));
}

/* Python's float % (the result takes the divisor's sign). */
static double py_fmod(double a, double b) {
    double m = fmod(a, b);
    if (m != 0.0) { if ((b < 0) != (m < 0)) m += b; }
    else m = copysign(0.0, b);
    return m;
}

static Value r_lognormvariate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"mu", "sigma", NULL};
    Value a[2];
    if (bind("lognormvariate", args, nargs, kwnames, names, 2, 2, a) < 0) return VNULL;
    Value z = r_normalvariate(self, a, 2, VNULL);
    if (!z) return VNULL;
    double v = exp(((FloatObj *)AS_OBJ(z))->v);
    decref(z);
    if (isinf(v)) return err_format(&Exc_OverflowError, "math range error");
    return float_new(v);
}

static Value r_vonmisesvariate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"mu", "kappa", NULL};
    Value a[2];
    double mu, kappa;
    if (bind("vonmisesvariate", args, nargs, kwnames, names, 2, 2, a) < 0 ||
        arg_float(a[0], &mu) < 0 || arg_float(a[1], &kappa) < 0) return VNULL;
    RandomObj *r = AS_RANDOM(self);
    const double twopi = 2.0 * M_PI;
    if (kappa <= 1e-6) return float_new(twopi * random_double(r));
    double s = 0.5 / kappa, rr = s + sqrt(1.0 + s * s), z;
    for (;;) {
        double u1 = random_double(r);
        z = cos(M_PI * u1);
        double d = z / (rr + z);
        double u2 = random_double(r);
        if (u2 < 1.0 - d * d || u2 <= (1.0 - d) * exp(d)) break;
    }
    double q = 1.0 / rr, f = (q + z) / (1.0 + q * z);
    double u3 = random_double(r);
    return float_new(u3 > 0.5 ? py_fmod(mu + acos(f), twopi) : py_fmod(mu - acos(f), twopi));
}

/* gammavariate's algorithm (Cheng's for alpha > 1, Ahrens-Dieter GS for alpha < 1). */
static int gamma_draw(RandomObj *r, double alpha, double beta, double *out) {
    if (alpha <= 0.0 || beta <= 0.0) {
        err_format(&Exc_ValueError, "gammavariate: alpha and beta must be > 0.0");
        return -1;
    }
    if (alpha > 1.0) {
        const double log4 = log(4.0), sg_magic = 1.0 + log(4.5);
        double ainv = sqrt(2.0 * alpha - 1.0), bbb = alpha - log4, ccc = alpha + ainv;
        for (;;) {
            double u1 = random_double(r);
            if (!(1e-7 < u1 && u1 < 0.9999999)) continue;
            double u2 = 1.0 - random_double(r);
            double v = log(u1 / (1.0 - u1)) / ainv;
            double x = alpha * exp(v);
            double z = u1 * u1 * u2;
            double rr = bbb + ccc * v - x;
            if (rr + sg_magic - 4.5 * z >= 0.0 || rr >= log(z)) { *out = x * beta; return 0; }
        }
    }
    if (alpha == 1.0) { *out = -log(1.0 - random_double(r)) * beta; return 0; }
    double x;
    for (;;) {
        double u = random_double(r);
        double b = (M_E + alpha) / M_E, p = b * u;
        x = p <= 1.0 ? pow(p, 1.0 / alpha) : -log((b - p) / alpha);
        double u1 = random_double(r);
        if (p > 1.0) { if (u1 <= pow(x, alpha - 1.0)) break; }
        else if (u1 <= exp(-x)) break;
    }
    *out = x * beta;
    return 0;
}

static Value r_gammavariate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"alpha", "beta", NULL};
    Value a[2];
    double alpha, beta, x;
    if (bind("gammavariate", args, nargs, kwnames, names, 2, 2, a) < 0 ||
        arg_float(a[0], &alpha) < 0 || arg_float(a[1], &beta) < 0 ||
        gamma_draw(AS_RANDOM(self), alpha, beta, &x) < 0) return VNULL;
    return float_new(x);
}

static Value r_betavariate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"alpha", "beta", NULL};
    Value a[2];
    double alpha, beta, y, y2;
    if (bind("betavariate", args, nargs, kwnames, names, 2, 2, a) < 0 ||
        arg_float(a[0], &alpha) < 0 || arg_float(a[1], &beta) < 0 ||
        gamma_draw(AS_RANDOM(self), alpha, 1.0, &y) < 0) return VNULL;
    if (y == 0.0) return float_new(0.0);
    if (gamma_draw(AS_RANDOM(self), beta, 1.0, &y2) < 0) return VNULL;
    return float_new(y / (y + y2));
}

static Value r_paretovariate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"alpha", NULL};
    Value a[1];
    double alpha;
    if (bind("paretovariate", args, nargs, kwnames, names, 1, 1, a) < 0 || arg_float(a[0], &alpha) < 0)
        return VNULL;
    double u = 1.0 - random_double(AS_RANDOM(self));
    if (alpha == 0.0) return err_format(&Exc_ZeroDivisionError, "float division by zero");
    return float_new(pow(u, -1.0 / alpha));
}

static Value r_weibullvariate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"alpha", "beta", NULL};
    Value a[2];
    double alpha, beta;
    if (bind("weibullvariate", args, nargs, kwnames, names, 2, 2, a) < 0 ||
        arg_float(a[0], &alpha) < 0 || arg_float(a[1], &beta) < 0) return VNULL;
    double u = 1.0 - random_double(AS_RANDOM(self));
    if (beta == 0.0) return err_format(&Exc_ZeroDivisionError, "float division by zero");
    return float_new(alpha * pow(-log(u), 1.0 / beta));
}

/* getstate(): (3, (624 state words..., index), gauss_next), as CPython. */
static Value r_getstate(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("Random.getstate", nargs, kwnames) < 0) return VNULL;
    RandomObj *r = AS_RANDOM(self);
    Value st = tuple_new(MT_N + 1);
    if (!st) return VNULL;
    for (int i = 0; i < MT_N; i++) TUPLE_ITEMS(st)[i] = int_from_u64(r->mt[i]);
    TUPLE_ITEMS(st)[MT_N] = MK_INT(r->index);
    Value g = r->has_gauss_next ? float_new(r->gauss_next) : none_new();
    Value res = g ? tuple_pack(3, MK_INT(3), st, g) : VNULL;
    decref(st);
    decref(g);
    return res;
}

static Value r_setstate(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"state", NULL};
    Value a[1];
    if (bind("setstate", args, nargs, kwnames, names, 1, 1, a) < 0) return VNULL;
    Value state = a[0];
    if (!IS_TYPE(state, &TupleType) || TUPLE_LEN(state) != 3) {
        if (IS_TYPE(state, &TupleType) || IS_TYPE(state, &ListType)) {
            Value v = obj_getitem(state, MK_INT(0));
            if (!v) return VNULL;
            Value e = err_format(&Exc_ValueError, "state with version %S passed to Random.setstate() "
                                 "of version 3", v);
            decref(v);
            return e;
        }
        return err_format(&Exc_TypeError, "'%s' object is not subscriptable", obj_type_name(state));
    }
    Value version = TUPLE_ITEMS(state)[0], inner = TUPLE_ITEMS(state)[1], g = TUPLE_ITEMS(state)[2];
    if (!(IS_INT(version) && (AS_INT(version) == 3 || AS_INT(version) == 2)))
        return err_format(&Exc_ValueError, "state with version %S passed to Random.setstate() "
                          "of version 3", version);
    if (!IS_TYPE(inner, &TupleType)) return err_format(&Exc_TypeError, "state vector must be a tuple");
    if (TUPLE_LEN(inner) != MT_N + 1) return err_format(&Exc_ValueError, "state vector is the wrong size");
    uint32_t mt[MT_N];
    for (int i = 0; i < MT_N; i++) {
        Value w = TUPLE_ITEMS(inner)[i];
        int64_t x;
        if (int_as_i64(w, &x) < 0) return VNULL;
        mt[i] = (uint32_t)x;                      /* version 2 states held signed words */
    }
    int64_t index;
    if (int_as_i64(TUPLE_ITEMS(inner)[MT_N], &index) < 0) return VNULL;
    if (index < 0 || index > MT_N) return err_format(&Exc_ValueError, "invalid state");
    double gn = 0.0;
    if (!IS_NONE(g) && arg_float(g, &gn) < 0) return VNULL;
    RandomObj *r = AS_RANDOM(self);
    memcpy(r->mt, mt, sizeof mt);
    r->index = (int)index;
    r->has_gauss_next = !IS_NONE(g);
    r->gauss_next = gn;
    return none_new();
}

/* ===== the type and the module ================================================================ */

/* Random(x=None): tp_new only allocates (seeded from the OS, so an instance
 * whose __init__ never ran still works); __init__ seeds, through self.seed()
 * for subclasses that override it, as Lib/random.py's Random.__init__ does. */
static Value random_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    Value self = obj_new_instance(t);
    if (!self) return VNULL;
    seed_from_os(AS_RANDOM(self));
    return self;
}

static Value random_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"x", NULL};
    Value a[1];
    if (bind("__init__", args, nargs, kwnames, names, 1, 0, a) < 0) return VNULL;
    Value x = a[0] ? a[0] : None;
    if (AS_OBJ(self)->type == &RandomType) {
        if (random_seed_value(AS_RANDOM(self), x, 2) < 0) return VNULL;
    } else {
        Value r = obj_call_method_cstr(self, "seed", 1, x);
        if (!r) return VNULL;
        decref(r);
    }
    AS_RANDOM(self)->has_gauss_next = false;
    return none_new();
}

static void random_traverse(Obj *o, VisitFn visit, void *arg) {
    RandomObj *r = (RandomObj *)o;
    if (r->dict) visit(r->dict, arg);
}

static void random_clear(Obj *o) {
    clearref(&((RandomObj *)o)->dict);
}

static void random_dealloc(Obj *o) {
    clearref(&((RandomObj *)o)->dict);
}

static const MethodDef random_methods[] = {
    {"random", r_random, METH_DEFAULT},
    {"seed", r_seed, METH_DEFAULT},
    {"getrandbits", r_getrandbits, METH_DEFAULT},
    {"randbytes", r_randbytes, METH_DEFAULT},
    {"randrange", r_randrange, METH_DEFAULT},
    {"randint", r_randint, METH_DEFAULT},
    {"choice", r_choice, METH_DEFAULT},
    {"choices", r_choices, METH_DEFAULT},
    {"shuffle", r_shuffle, METH_DEFAULT},
    {"sample", r_sample, METH_DEFAULT},
    {"uniform", r_uniform, METH_DEFAULT},
    {"gauss", r_gauss, METH_DEFAULT},
    {"normalvariate", r_normalvariate, METH_DEFAULT},
    {"expovariate", r_expovariate, METH_DEFAULT},
    {"triangular", r_triangular, METH_DEFAULT},
    {"lognormvariate", r_lognormvariate, METH_DEFAULT},
    {"vonmisesvariate", r_vonmisesvariate, METH_DEFAULT},
    {"gammavariate", r_gammavariate, METH_DEFAULT},
    {"betavariate", r_betavariate, METH_DEFAULT},
    {"paretovariate", r_paretovariate, METH_DEFAULT},
    {"weibullvariate", r_weibullvariate, METH_DEFAULT},
    {"getstate", r_getstate, METH_DEFAULT},
    {"setstate", r_setstate, METH_DEFAULT},
    {NULL, NULL, 0}
};

static Type RandomType = {
    STATIC_TYPE_HEAD,
    .name = "Random",
    .flags = TF_BASETYPE | TF_GC,
    .size = sizeof(RandomObj),
    .dict_offset = offsetof(RandomObj, dict),
    .tp_new = random_tp_new,
    .tp_init = random_tp_init,
    .dealloc = random_dealloc,
    .traverse = random_traverse,
    .clear = random_clear,
};

Value random_module_init(void) {
    if (!(RandomType.flags & TF_READY)) {
        type_add_methods(&RandomType, random_methods);
        RandomType.module = incref(str_intern_cstr("random"));
        if (type_ready(&RandomType) < 0) return VNULL;
    }
    Value m = module_new(str_intern_cstr("random"));
    if (!m) return VNULL;
    Value dict = ((ModuleObj *)AS_OBJ(m))->dict;
    Value inst = random_tp_new(&RandomType, NULL, 0, VNULL);
    if (!inst || dict_set_str(dict, "Random", OBJ_VAL(&RandomType)) < 0 ||
        dict_set_str(dict, "_inst", inst) < 0)
        goto fail;
    /* the module functions are the bound methods of one hidden instance, as in CPython */
    for (const MethodDef *d = random_methods; d->name; d++) {
        Value bound = obj_getattr_cstr(inst, d->name);
        if (!bound) goto fail;
        int rc = dict_set_str(dict, d->name, bound);
        decref(bound);
        if (rc < 0) goto fail;
    }
    decref(inst);
    return m;
fail:
    decref(inst);
    decref(m);
    return VNULL;
}
