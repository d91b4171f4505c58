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

#endif
