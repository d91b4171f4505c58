#include "CPUCheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append(char *buffer, size_t size, const char *name) {
    size_t used = strlen(buffer);
    if (used + strlen(name) + 2 > size) return;
    if (used > 0) strcat(buffer, " ");
    strcat(buffer, name);
}

int seqrec_missing_cpu_features(char *buffer, size_t size) {
    if (size == 0) return 0;
    buffer[0] = '\0';
    int missing = 0;
#if defined(__x86_64__)
    // The features of -target-cpu haswell that compiled code uses (__builtin_cpu_supports
    // also checks that the OS saves the AVX registers). Its argument must be a literal.
    __builtin_cpu_init();
#define SEQREC_REQUIRE(feature) \
    if (!__builtin_cpu_supports(feature)) { append(buffer, size, feature); missing += 1; }
    SEQREC_REQUIRE("avx2")
    SEQREC_REQUIRE("fma")
    SEQREC_REQUIRE("bmi")
    SEQREC_REQUIRE("bmi2")
    SEQREC_REQUIRE("lzcnt")
    SEQREC_REQUIRE("f16c")
    SEQREC_REQUIRE("movbe")
    SEQREC_REQUIRE("popcnt")
#undef SEQREC_REQUIRE
#endif
    return missing;
}

int seqrec_cpu_refusal_message(const char *program, const char *missing, char *buffer, size_t size) {
    return snprintf(buffer, size,
        "%s: this CPU lacks %s, which this build needs: SeqRec's numeric code is compiled "
        "with -target-cpu haswell (x86-64-v3: Intel since 2013, AMD since 2015). Run it on "
        "a newer x86-64 or an arm64 machine, or build from source without the haswell flags "
        "in Package.swift (slower; see docs/development.md).\n",
        program, missing);
}

void seqrec_require_supported_cpu(const char *program) {
    char missing[128];
    if (seqrec_missing_cpu_features(missing, sizeof missing) == 0) return;
    char message[640];
    seqrec_cpu_refusal_message(program, missing, message, sizeof message);
    fputs(message, stderr);
    exit(1);
}

#if defined(__x86_64__)
#include <cpuid.h>
#endif

void seqrec_cpu_vector_features(struct seqrec_cpu_features *features) {
    memset(features, 0, sizeof *features);
#if defined(__x86_64__)
    __builtin_cpu_init();
    // __builtin_cpu_supports also checks that the OS saves the AVX and AVX-512 registers.
    features->avx2 = __builtin_cpu_supports("avx2") != 0;
    features->fma = __builtin_cpu_supports("fma") != 0;
    features->avx512f = __builtin_cpu_supports("avx512f") != 0;
    features->avx512bw = __builtin_cpu_supports("avx512bw") != 0;
    features->avx512dq = __builtin_cpu_supports("avx512dq") != 0;
    features->avx512vl = __builtin_cpu_supports("avx512vl") != 0;
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
        // The vendor string is EBX, EDX, ECX: "GenuineIntel", "AuthenticAMD", "HygonGenuine".
        memcpy(features->vendor, &ebx, 4);
        memcpy(features->vendor + 4, &edx, 4);
        memcpy(features->vendor + 8, &ecx, 4);
        features->vendor[12] = '\0';
    }
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        // Family: the base family, plus the extended family when the base is 15 (AMD Zen: 23, 25, 26).
        int base = (int)((eax >> 8) & 0xf);
        features->family = base == 15 ? base + (int)((eax >> 20) & 0xff) : base;
    }
#endif
}
