// The BLAS kernels a process runs: what they are (for provenance, `runner --version` and the
// benchmarks), and making them the best this CPU supports at start-up.
//
// OpenBLAS reads OPENBLAS_CORETYPE once, when it loads, so a process cannot change its
// kernels by setting it: useBestKernels re-executes the program (same argv) with the variable
// set, at most once, before any product runs or any thread starts. A core the library did not
// choose must then earn its place: a few products of seqrec's shapes are checked against a
// Double reference, and when they disagree the program re-executes once more with the
// library's own choice and says so on stderr. SEQREC_BLAS_CORE_CHOICE carries the state
// across the re-executions (and into sweep children, which then skip the check):
//   "over:<library core>"      seqrec set OPENBLAS_CORETYPE; the products are not checked yet
//   "checked:<library core>"   seqrec set OPENBLAS_CORETYPE and its products passed the check
//   "refused:<seqrec's core>"  that core failed the check; the library's own choice runs

import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import CPUCheck

/// The BLAS a run used, as its report's provenance records it.
public struct BLASKernelInfo: Sendable, Equatable, Codable {
    /// `OpenBLAS` or `Accelerate`.
    package var name: String
    /// The library's release, e.g. `0.3.21`; nil when it does not say.
    package var version: String?
    /// The kernels (OpenBLAS's core), e.g. `Haswell`; nil for Accelerate.
    package var core: String?
    /// `openblas_get_config()`, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64`.
    public var config: String?
    /// Who chose the kernels: `library`, `user OPENBLAS_CORETYPE`, `seqrec: SkylakeX over
    /// Prescott`, or `library (seqrec: SkylakeX failed the product check)`.
    package var chosenBy: String

    package init(name: String, version: String?, core: String?, config: String?, chosenBy: String) {
        self.name = name
        self.version = version
        self.core = core
        self.config = config
        self.chosenBy = chosenBy
    }

    enum CodingKeys: String, CodingKey {
        case name, version, core, config
        case chosenBy = "chosen_by"
    }

    /// One line for `runner --version` and the benchmarks:
    /// `BLAS: OpenBLAS 0.3.21, Zen kernels (chosen by library)`.
    public var summary: String {
        var text = "BLAS: \(name)" + (version.map { " \($0)" } ?? "")
        if let core { text += ", \(core) kernels" }
        return text + " (chosen by \(chosenBy))"
    }
}

public enum BLASKernels {
    static let choiceVariable = "SEQREC_BLAS_CORE_CHOICE"
    static let coreTypeVariable = "OPENBLAS_CORETYPE"

    /// The BLAS this process runs, and who chose its kernels.
    public static var current: BLASKernelInfo {
        #if canImport(Accelerate)
        return BLASKernelInfo(name: "Accelerate", version: nil, core: nil, config: nil, chosenBy: "library")
        #else
        let config = String(cString: openblas_get_config())
        let words = config.split(separator: " ")
        let version = words.first == "OpenBLAS" && words.count > 1 ? String(words[1]) : nil
        let core = String(cString: openblas_get_corename())
        let environment = ProcessInfo.processInfo.environment
        return BLASKernelInfo(name: "OpenBLAS", version: version, core: core, config: config,
                              chosenBy: chooser(core: core, coreType: environment[coreTypeVariable],
                                                choice: environment[choiceVariable]))
        #endif
    }

    /// Who chose `core`, from OPENBLAS_CORETYPE and seqrec's own marker.
    static func chooser(core: String, coreType: String?, choice: String?) -> String {
        let (state, name) = parse(choice)
        if coreType == nil {
            return state == "refused" ? "library (seqrec: \(name) failed the product check)" : "library"
        }
        if state == "over" || state == "checked" { return "seqrec: \(core) over \(name)" }
        return "user OPENBLAS_CORETYPE"
    }

    private static func parse(_ choice: String?) -> (state: String, core: String) {
        guard let choice, let colon = choice.firstIndex(of: ":") else { return ("", "") }
        return (String(choice[..<colon]), String(choice[choice.index(after: colon)...]))
    }

    /// Makes this process run the best kernels this CPU supports (see the file comment); may
    /// re-execute the program. Call first thing in `main`, before any product or thread.
    public static func useBestKernels(program: String) {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        let libraryCore = String(cString: openblas_get_corename())
        switch parse(environment[choiceVariable]) {
        case ("", _):
            guard let better = BLASKernelChoice.replacement(forLibraryCore: libraryCore, cpu: CPUVectorFeatures.thisMachine,
                                                            userCoreType: environment[coreTypeVariable]) else { return }
            setenv(coreTypeVariable, better, 1)
            setenv(choiceVariable, "over:\(libraryCore)", 1)
            reexecute()
        case ("over", let original):
            if BLASProductCheck.passes() {
                setenv(choiceVariable, "checked:\(original)", 1)
                return
            }
            FileHandle.standardError.write(Data("""
                \(program): OpenBLAS's \(libraryCore) kernels computed wrong matrix products on this machine; \
                using the library's own choice (\(original)) instead

                """.utf8))
            unsetenv(coreTypeVariable)
            setenv(choiceVariable, "refused:\(libraryCore)", 1)
            reexecute()
            FileHandle.standardError.write(Data("\(program): could not restart itself with other kernels\n".utf8))
            exit(1)
        default:
            return  // checked or refused: decided by an earlier start
        }
        #endif
    }

    #if os(Linux)
    /// Runs this program again with the same arguments and the changed environment; returns
    /// (and the current kernels stay) only when that is impossible.
    private static func reexecute() {
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv(coreTypeVariable)
        unsetenv(choiceVariable)
    }
    #endif
}

extension CPUVectorFeatures {
    /// This machine's features, from CPUID (all false off x86-64).
    package static var thisMachine: CPUVectorFeatures {
        var features = seqrec_cpu_features()
        seqrec_cpu_vector_features(&features)
        let vendor = withUnsafeBytes(of: features.vendor) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return CPUVectorFeatures(vendor: CPUVectorFeatures.vendor(named: vendor), family: Int(features.family),
                                 avx2: features.avx2, fma: features.fma, avx512f: features.avx512f,
                                 avx512bw: features.avx512bw, avx512dq: features.avx512dq, avx512vl: features.avx512vl)
    }
}
