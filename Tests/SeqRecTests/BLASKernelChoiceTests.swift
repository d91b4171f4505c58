// The choice of OpenBLAS kernels (BLASKernelChoice, BLASKernels): the decision on synthetic
// CPUs and core names, who chose the kernels as provenance records it, the product check, and
// that the runner on this machine does not run SSE-era kernels on a CPU with AVX2.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private let avx512Xeon = CPUVectorFeatures(vendor: .intel, family: 6, avx2: true, fma: true,
                                           avx512f: true, avx512bw: true, avx512dq: true, avx512vl: true)
private let avx2Intel = CPUVectorFeatures(vendor: .intel, family: 6, avx2: true, fma: true)
private let zen3 = CPUVectorFeatures(vendor: .amd, family: 25, avx2: true, fma: true)
private let zen4 = CPUVectorFeatures(vendor: .amd, family: 25, avx2: true, fma: true,
                                     avx512f: true, avx512bw: true, avx512dq: true, avx512vl: true)
private let sse4 = CPUVectorFeatures(vendor: .intel, family: 6)

@Suite struct BLASKernelChoiceTests {
    @Test func theBestCoreFollowsTheWidestVectorsTheCPUSupports() {
        #expect(BLASKernelChoice.bestCore(for: avx512Xeon) == "SkylakeX")
        #expect(BLASKernelChoice.bestCore(for: zen4) == "SkylakeX")
        #expect(BLASKernelChoice.bestCore(for: avx2Intel) == "Haswell")
        #expect(BLASKernelChoice.bestCore(for: zen3) == "Zen")
        #expect(BLASKernelChoice.bestCore(for: CPUVectorFeatures(vendor: .other, family: 6, avx2: true, fma: true)) == "Haswell")
        #expect(BLASKernelChoice.bestCore(for: sse4) == nil)
        // AVX-512 F alone (Knights Landing has no BW/DQ/VL) is not enough for SkylakeX; AVX2 without FMA not for Haswell.
        #expect(BLASKernelChoice.bestCore(for: CPUVectorFeatures(vendor: .intel, family: 6, avx2: true, fma: true, avx512f: true)) == "Haswell")
        #expect(BLASKernelChoice.bestCore(for: CPUVectorFeatures(vendor: .intel, family: 6, avx2: true)) == nil)
    }

    @Test func olderKernelsAreReplacedAndEverythingElseIsKept() {
        func replacement(_ core: String, _ cpu: CPUVectorFeatures, user: String? = nil) -> String? {
            BLASKernelChoice.replacement(forLibraryCore: core, cpu: cpu, userCoreType: user)
        }
        // The machine of the slow case: an AVX-512 Xeon that OpenBLAS 0.3.21 runs with Prescott kernels.
        #expect(replacement("Prescott", avx512Xeon) == "SkylakeX")
        #expect(replacement("Haswell", avx512Xeon) == "SkylakeX")
        #expect(replacement("Sandybridge", avx2Intel) == "Haswell")
        for core in ["Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Barcelona", "Opteron", "Opteron(SSE3)", "prescott"] {
            #expect(replacement(core, zen3) == "Zen", "\(core)")
        }
        #expect(replacement("Zen", zen4) == "SkylakeX")
        // The library's choice already fits, or is newer than this table, or the CPU is old.
        #expect(replacement("SkylakeX", avx512Xeon) == nil)
        #expect(replacement("Cooperlake", avx512Xeon) == nil)
        #expect(replacement("Zen", zen3) == nil)
        #expect(replacement("Haswell", zen3) == nil, "an AVX2 core on an AVX2 CPU stays")
        #expect(replacement("SomeFutureCore", avx512Xeon) == nil)
        #expect(replacement("Nehalem", sse4) == nil)
        // A core type the user set is never overridden, not even an empty one.
        #expect(replacement("Prescott", avx512Xeon, user: "Prescott") == nil)
        #expect(replacement("Prescott", avx512Xeon, user: "") == nil)
    }

    @Test func provenanceSaysWhoChoseTheKernels() {
        #expect(BLASKernels.chooser(core: "Zen", coreType: nil, choice: nil) == "library")
        #expect(BLASKernels.chooser(core: "Prescott", coreType: "Prescott", choice: nil) == "user OPENBLAS_CORETYPE")
        #expect(BLASKernels.chooser(core: "SKYLAKEX", coreType: "SkylakeX", choice: "checked:Prescott") == "seqrec: SKYLAKEX over Prescott")
        #expect(BLASKernels.chooser(core: "Prescott", coreType: nil, choice: "refused:SkylakeX")
                == "library (seqrec: SkylakeX failed the product check)")
        let info = BLASKernelInfo(name: "OpenBLAS", version: "0.3.21", core: "Zen", config: "OpenBLAS 0.3.21 DYNAMIC_ARCH Zen",
                                  chosenBy: "library")
        #expect(info.summary == "BLAS: OpenBLAS 0.3.21, Zen kernels (chosen by library)")
    }

    /// The kernels this process runs (whatever they are) pass the check they are held to.
    @Test func theKernelsInUsePassTheProductCheck() {
        #expect(BLASProductCheck.passes())
    }

    /// On a CPU with AVX2 (or AVX-512) the runner, started without OPENBLAS_CORETYPE, must not
    /// run SSE-era kernels; on an older CPU there is nothing to check.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: ConfigFixtures.runnerBinary.path)))
    func theRunnerDoesNotRunSSEKernelsOnAnAVX2CPU() throws {
        guard BLASKernelChoice.bestCore(for: .thisMachine) != nil else { return }
        let process = Process()
        process.executableURL = ConfigFixtures.runnerBinary
        process.arguments = ["--version"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["SEQREC_BLAS_CORE_CHOICE"] = nil
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("BLAS: ") }, "\(text)")
        #if canImport(Accelerate)
        #expect(line.hasPrefix("BLAS: Accelerate"))
        #else
        // "BLAS: OpenBLAS 0.3.21, Zen kernels (chosen by library)"
        let core = try #require(line.split(separator: ", ").dropFirst().first?.split(separator: " ").first, "\(line)")
        let tier = try #require(BLASKernelChoice.tier(ofCore: String(core)), "unknown core in \(line)")
        #expect(tier > .sse, "\(line)")
        #endif
    }
}
