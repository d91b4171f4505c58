// Which OpenBLAS kernels suit this CPU: a pure decision over CPU features and core names,
// used at start-up by BLASKernels.useBestKernels and tested with synthetic CPUs.
//
// OpenBLAS built with DYNAMIC_ARCH picks its kernels (a "core", e.g. Haswell) from CPUID
// when it loads. A release that does not know a newer CPU falls back to older kernels:
// 0.3.21 runs its Prescott (SSE3) kernels on some AVX-512 Xeons, several times slower.

/// The vector features of a CPU that decide which BLAS kernels suit it.
package struct CPUVectorFeatures: Sendable, Equatable {
    package enum Vendor: Sendable, Equatable { case intel, amd, other }

    package var vendor: Vendor
    /// The display family: 6 for Intel Core, 23/25/26 for AMD Zen.
    package var family: Int
    package var avx2: Bool
    package var fma: Bool
    package var avx512f: Bool
    package var avx512bw: Bool
    package var avx512dq: Bool
    package var avx512vl: Bool

    package init(vendor: Vendor, family: Int, avx2: Bool = false, fma: Bool = false, avx512f: Bool = false,
                avx512bw: Bool = false, avx512dq: Bool = false, avx512vl: Bool = false) {
        self.vendor = vendor
        self.family = family
        self.avx2 = avx2
        self.fma = fma
        self.avx512f = avx512f
        self.avx512bw = avx512bw
        self.avx512dq = avx512dq
        self.avx512vl = avx512vl
    }

    /// CPUID's vendor string ("GenuineIntel", "AuthenticAMD", "HygonGenuine") as a vendor.
    package static func vendor(named name: String) -> Vendor {
        switch name {
        case "GenuineIntel": .intel
        case "AuthenticAMD", "HygonGenuine": .amd  // Hygon Dhyana is a Zen
        default: .other
        }
    }
}

package enum BLASKernelChoice {
    /// The widest vector instructions of a core's kernels; a higher tier is faster on a CPU
    /// that supports it.
    package enum Tier: Int, Sendable, Comparable {
        case sse = 1, avx, avx2, avx512

        package static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }
    }

    /// OpenBLAS's x86-64 core names (openblas_get_corename, lowercase), by tier. A core not
    /// listed is never replaced: a newer library knows cores this table does not.
    static let tiers: [String: Tier] = [
        "katmai": .sse, "coppermine": .sse, "northwood": .sse, "prescott": .sse, "banias": .sse,
        "atom": .sse, "core2": .sse, "penryn": .sse, "dunnington": .sse, "nehalem": .sse,
        "athlon": .sse, "opteron": .sse, "opteron(sse3)": .sse, "barcelona": .sse, "nano": .sse,
        "bobcat": .sse,
        "sandybridge": .avx, "bulldozer": .avx, "piledriver": .avx, "steamroller": .avx, "excavator": .avx,
        "haswell": .avx2, "zen": .avx2,
        "skylakex": .avx512, "cooperlake": .avx512, "sapphirerapids": .avx512,
    ]

    package static func tier(ofCore name: String) -> Tier? { tiers[name.lowercased()] }

    /// The best OpenBLAS core for `cpu`: SkylakeX with AVX-512 F, BW, DQ and VL; with AVX2 and
    /// FMA, Zen on AMD and Haswell otherwise; nil for anything older (the library knows best).
    package static func bestCore(for cpu: CPUVectorFeatures) -> String? {
        if cpu.avx512f && cpu.avx512bw && cpu.avx512dq && cpu.avx512vl { return "SkylakeX" }
        if cpu.avx2 && cpu.fma { return cpu.vendor == .amd ? "Zen" : "Haswell" }
        return nil
    }

    /// The core to switch to, or nil to keep the library's choice: only when the user set no
    /// OPENBLAS_CORETYPE, the library's core is a known one of a lower tier than this CPU
    /// supports.
    package static func replacement(forLibraryCore libraryCore: String, cpu: CPUVectorFeatures,
                                   userCoreType: String?) -> String? {
        guard userCoreType == nil, let best = bestCore(for: cpu), let bestTier = tier(ofCore: best),
              let libraryTier = tier(ofCore: libraryCore), libraryTier < bestTier else { return nil }
        return best
    }
}
