// The startup check of the executables: SeqRec's numeric code is compiled for x86-64 with
// -target-cpu haswell (AVX2, FMA, BMI1/2, ...), so an older x86 CPU would die of SIGILL with
// no message. This target is compiled without those flags, and the executables call
// seqrec_require_supported_cpu before any SeqRec code runs. On arm64 everything passes.
#ifndef SEQREC_CPU_CHECK_H
#define SEQREC_CPU_CHECK_H

#include <stddef.h>

/// Writes the names of the required features this CPU lacks, space-separated, into
/// `buffer` (empty when none are missing, and always off x86-64); returns how many.
int seqrec_missing_cpu_features(char *buffer, size_t size);

/// Writes the refusal message for `program` on a CPU lacking `missing` (as written by
/// seqrec_missing_cpu_features) into `buffer`, with a final newline; returns snprintf's result.
int seqrec_cpu_refusal_message(const char *program, const char *missing, char *buffer, size_t size);

/// On a CPU that lacks a required feature, prints the refusal message to stderr and exits
/// with status 1; otherwise returns.
void seqrec_require_supported_cpu(const char *program);

/// The vector features that decide which BLAS kernels suit this CPU (all false and empty
/// off x86-64).
struct seqrec_cpu_features {
    /// CPUID's vendor string, e.g. "GenuineIntel", "AuthenticAMD".
    char vendor[13];
    /// The display family (base + extended), e.g. 6 for Intel Core, 23 or 25 for AMD Zen.
    int family;
    _Bool avx2, fma, avx512f, avx512bw, avx512dq, avx512vl;
};

void seqrec_cpu_vector_features(struct seqrec_cpu_features *features);

#endif
