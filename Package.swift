// swift-tools-version:6.2
import PackageDescription

// Tools version 6.2 is what lets other packages depend on SeqRec by version: SwiftPM 6.2 and
// later accept the unsafe flags below in a dependency whose manifest is 6.2 or newer, and
// refuse them in an older one (docs/development.md, "Using SeqRec as a library").

// MARK: - Numeric code generation
// The numeric library is optimized in every build configuration, so that the
// `swift run runner ...` a user types without `-c release` is fast too. On x86-64 we
// target haswell (x86-64-v3 features: AVX2 + FMA, every x86 CPU since 2013/2015), because without an
// FMA-capable target SIMD fused multiply-adds compile to slow library calls. arm64
// always has FMA and NEON.
#if arch(x86_64)
let cpuFlags: [String] = ["-target-cpu", "haswell"]
#else
let cpuFlags: [String] = []
#endif
let numericFlags: [SwiftSetting] = [.unsafeFlags(["-O"] + cpuFlags)]

// MARK: - Hot kernels, compiled once per instruction set
// The cells' pointwise steps, the softmax row passes, Adam and the embedding row copies live in
// Sources/SeqRecKernels. That module is compiled with the numeric flags (the x86-64-v3 path, or
// the one path on arm64); on x86-64 the same files (symlinks) are compiled twice more: for
// x86-64-v4 (AVX-512, 16 lanes) and for plain x86-64 (16 lanes: the reference the tests hold
// both paths to). SeqRecNumerics picks one at start-up from CPUID (Tensor/KernelDispatch.swift).
#if arch(x86_64)
let kernelVariants: [Target] = [
    .target(name: "SeqRecKernelsV4", dependencies: ["SeqRecKernelAPI"],
            swiftSettings: [.unsafeFlags(["-O", "-target-cpu", "skylake-avx512"]), .define("SEQREC_KERNELS_V4")]),
    .target(name: "SeqRecKernelsPortable", dependencies: ["SeqRecKernelAPI"],
            swiftSettings: [.unsafeFlags(["-O"]), .define("SEQREC_KERNELS_PORTABLE")]),
]
#else
let kernelVariants: [Target] = []
#endif

let package = Package(
    name: "seqrec",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "runner", targets: ["runner"]),
        .library(name: "SeqRec", targets: ["SeqRec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        // SHA-256 on Linux (OpenSSL's libcrypto); macOS uses CommonCrypto, always present.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // MARK: - Library, three targets, one per layer group (docs/development.md, "Layers")
        // SeqRecCore: Support and Config. Plain Swift, no CPU-specific flags: nothing in it is numeric.
        .target(
            name: "SeqRecCore",
            dependencies: [
                "CYAML",
                .target(name: "CCrypto", condition: .when(platforms: [.linux])),
            ]
        ),
        // SeqRecNumerics: Tensor, Data, Models, Evaluation, Training. Every hot loop is here, in one
        // module (no cross-module calls inside a step), with the numeric flags.
        .target(
            name: "SeqRecNumerics",
            dependencies: [
                "SeqRecCore",
                "CPUCheck",
                "SeqRecKernelAPI",
                "SeqRecKernels",
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ] + kernelVariants.map { Target.Dependency.target(name: $0.name) },
            swiftSettings: numericFlags,
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),
        // SeqRec: the runner layer (Report, Checkpoint, Runner, Sweep, Compare, Search, Fuzzing), the
        // library product; it re-exports the two targets below it.
        .target(
            name: "SeqRec",
            dependencies: ["SeqRecCore", "SeqRecNumerics"],
            swiftSettings: numericFlags
        ),

        // The kernels' shared interface (protocol and argument structs), then the kernels.
        .target(name: "SeqRecKernelAPI"),
        .target(name: "SeqRecKernels", dependencies: ["SeqRecKernelAPI"], swiftSettings: numericFlags),

        // MARK: - Executables
        // CPUCheck is compiled without the numeric flags: each executable calls it first and
        // refuses, with a message, an x86-64 CPU the haswell code would crash on. SeqRecNumerics asks
        // it for the vector features that choose the BLAS kernels (BLASKernels.swift).
        .target(name: "CPUCheck"),
        // prctl(2) for the runner: a sweep's child dies with the sweep (Linux).
        .target(name: "CProcessControl"),

        // BuildCommit: the commit `runner --version` names is recorded when the runner is built.
        // runner and fuzz-seqrec see only the library's public API (packageAccess: false), as another
        // package would; seqrec-bench measures the numerics' internals (raw buffers), so it sees
        // `package` declarations too (docs/development.md, "Public surface").
        .executableTarget(
            name: "runner",
            dependencies: [
                "SeqRec",
                "CPUCheck",
                "CProcessControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            packageAccess: false,
            plugins: ["BuildCommit"]
        ),

        .executableTarget(
            name: "seqrec-bench",
            dependencies: ["SeqRec", "CPUCheck"],
            path: "Sources/bench",
            swiftSettings: numericFlags
        ),

        // MARK: - Build plugins
        .plugin(name: "BuildCommit", capability: .buildTool()),

        // MARK: - Tests
        .testTarget(
            name: "SeqRecTests",
            dependencies: ["SeqRec", "SeqRecNumerics", "SeqRecCore", "CPUCheck", "SeqRecKernelAPI"]
        ),
    ] + kernelVariants,
    swiftLanguageModes: [.v6]
)

// MARK: - Fuzzing
// One driver for every libFuzzer target (Fuzz/, docs/development.md#fuzzing). `make fuzz`
// builds it with `-DFUZZING -sanitize=fuzzer,address` in .build-fuzz; a normal build makes
// the replay tool (`fuzz-seqrec --target=config FILE...`), so nothing here is ever broken.
package.products.append(.executable(name: "fuzz-seqrec", targets: ["fuzz-seqrec"]))
package.targets += [
    .target(name: "CFuzzerDriver", path: "Fuzz/Sources/CFuzzerDriver"),
    .executableTarget(
        name: "fuzz-seqrec",
        dependencies: ["SeqRec", "CFuzzerDriver"],
        path: "Fuzz/Sources/fuzz-seqrec",
        packageAccess: false
    ),
]
