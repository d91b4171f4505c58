// The vector type of this build of the kernels, and what the build is.
//
// These files are compiled once per instruction set (Package.swift): as SeqRecKernels with the
// library's flags (x86-64-v3 on x86-64, 8 lanes; the only build elsewhere), and on x86-64 as
// SeqRecKernelsV4 (-target-cpu skylake-avx512, SEQREC_KERNELS_V4) and SeqRecKernelsPortable
// (no CPU flags, SEQREC_KERNELS_PORTABLE). Explicit SIMD widths do not widen with the target,
// so the AVX-512 build uses 16 lanes: one zmm register per vector. The portable build uses 16
// too, so that the wide builds' loop schedule (chunks, overlapping last chunk, partial sums)
// runs and is tested on every x86-64 machine.

#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif
import SeqRecKernelAPI

/// 8 floats: one AVX2 register, the width SeqRec's own loops use.
public typealias Float8 = SIMD8<Float>

#if SEQREC_KERNELS_V4 || SEQREC_KERNELS_PORTABLE
public typealias Lanes = SIMD16<Float>
/// The integer vector of Lanes' width (exp builds 2^n in the exponent bits).
public typealias LaneBits = SIMD16<Int32>
#else
public typealias Lanes = SIMD8<Float>
public typealias LaneBits = SIMD8<Int32>
#endif

extension Kernels {
    public static var build: KernelBuild {
        #if SEQREC_KERNELS_V4
        KernelBuild(path: "v4", lanes: Lanes.scalarCount, instructions: "x86-64-v4 (AVX-512 F, BW, DQ, VL)")
        #elseif SEQREC_KERNELS_PORTABLE
        KernelBuild(path: "portable", lanes: Lanes.scalarCount, instructions: "x86-64 (SSE2)")
        #elseif arch(x86_64)
        KernelBuild(path: "v3", lanes: Lanes.scalarCount, instructions: "x86-64-v3 (AVX2, FMA)")
        #elseif arch(arm64)
        KernelBuild(path: "portable", lanes: Lanes.scalarCount, instructions: "arm64 (NEON)")
        #else
        KernelBuild(path: "portable", lanes: Lanes.scalarCount, instructions: "generic")
        #endif
    }
}
