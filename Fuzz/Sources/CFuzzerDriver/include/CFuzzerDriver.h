// libFuzzer's entry point for programs that keep their own `main` (SwiftPM gives every
// executable one). Defined by the libFuzzer runtime, which `-sanitize=fuzzer` links; call it
// only in a build made with that flag (fuzz-seqrec guards the call with `#if FUZZING`).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
