// Which build of seqrec's hot kernels (Sources/SeqRecKernels: the cells' pointwise steps, the
// softmax row passes, Adam, the table-row gathers and scatters) this process runs. Chosen once,
// at first use, from CPUID and SEQREC_KERNELS; the choice is a pure function of the two, tested
// with synthetic CPUs (KernelPathTests).
//
// On x86-64 a build has three: v4 (x86-64-v4, AVX-512, 16 lanes), v3 (x86-64-v3, AVX2 + FMA,
// 8 lanes) and portable (plain x86-64, 16 lanes: the reference the tests hold the others to, and
// never chosen by itself). Elsewhere it has one, portable (8 lanes, the library's own flags).

import Foundation
@_exported import SeqRecKernels
import SeqRecKernelAPI
#if arch(x86_64)
import SeqRecKernelsPortable
import SeqRecKernelsV4
#endif

/// A build of the hot kernels, by the name SEQREC_KERNELS takes.
package enum KernelPath: String, Sendable, CaseIterable {
    case v4, v3, portable
}

/// The kernels a process runs and who chose them, as `runner --version` and a report's
/// provenance show them.
public struct KernelInfo: Sendable, Equatable, Codable {
    /// `v4`, `v3` or `portable`.
    package var path: String
    /// Floats per vector in the kernels' loops.
    package var lanes: Int
    /// What the kernels are compiled for, e.g. `x86-64-v3 (AVX2, FMA)`.
    package var instructions: String
    /// `cpu` (the best this CPU runs) or `user SEQREC_KERNELS`.
    package var chosenBy: String

    package init(path: String, lanes: Int, instructions: String, chosenBy: String) {
        self.path = path
        self.lanes = lanes
        self.instructions = instructions
        self.chosenBy = chosenBy
    }

    enum CodingKeys: String, CodingKey {
        case path, lanes, instructions
        case chosenBy = "chosen_by"
    }

    /// One line: `Kernels: v3, x86-64-v3 (AVX2, FMA), 8 lanes (chosen by cpu)`.
    public var summary: String {
        "Kernels: \(path), \(instructions), \(lanes) lanes (chosen by \(chosenBy))"
    }
}

/// Why SEQREC_KERNELS cannot be honoured; `message` says what to set instead.
package struct KernelChoiceError: Error, Sendable, Equatable {
    package var message: String
}

public enum KernelDispatch {
    /// The override: a path name; unset or empty for the best this CPU runs.
    package static let variable = "SEQREC_KERNELS"

    /// The paths this build has, best first.
    package static var builtPaths: [KernelPath] {
        #if arch(x86_64)
        [.v4, .v3, .portable]
        #else
        [.portable]
        #endif
    }

    /// The kernels of a path this build has.
    package static func kernels(for path: KernelPath) -> (any KernelSet.Type)? {
        #if arch(x86_64)
        switch path {
        case .v4: SeqRecKernelsV4.Kernels.self
        case .v3: SeqRecKernels.Kernels.self
        case .portable: SeqRecKernelsPortable.Kernels.self
        }
        #else
        path == .portable ? SeqRecKernels.Kernels.self : nil
        #endif
    }

    /// The CPU features a path needs that `cpu` lacks (CPUID names; empty when it runs it).
    /// v4: AVX-512 F, BW, DQ and VL (and v3's); v3: AVX2 and FMA. `CPUVectorFeatures` reports
    /// a feature only when the OS also saves its registers (XGETBV).
    package static func missingFeatures(for path: KernelPath, on cpu: CPUVectorFeatures) -> [String] {
        var needed: [(String, Bool)] = []
        switch path {
        case .v4:
            needed = [("avx2", cpu.avx2), ("fma", cpu.fma), ("avx512f", cpu.avx512f), ("avx512bw", cpu.avx512bw),
                      ("avx512dq", cpu.avx512dq), ("avx512vl", cpu.avx512vl)]
        case .v3:
            needed = [("avx2", cpu.avx2), ("fma", cpu.fma)]
        case .portable:
            break
        }
        return needed.filter { !$0.1 }.map(\.0)
    }

    /// The paths of `built` that `cpu` runs, best first.
    package static func runnablePaths(on cpu: CPUVectorFeatures, built: [KernelPath] = builtPaths) -> [KernelPath] {
        built.filter { missingFeatures(for: $0, on: cpu).isEmpty }
    }

    /// The path chosen without an override: the best of `built` that `cpu` runs. Portable is
    /// chosen only when it is the one path built: beside v3 and v4 it is the reference (an x86
    /// CPU without v3 is refused at start-up, as the rest of SeqRec needs v3).
    package static func automaticPath(for cpu: CPUVectorFeatures, built: [KernelPath] = builtPaths) -> KernelPath? {
        let candidates = built == [.portable] ? built : built.filter { $0 != .portable }
        return runnablePaths(on: cpu, built: candidates).first
    }

    /// The path for `override` (SEQREC_KERNELS) on `cpu`: the automatic one when unset or empty,
    /// else the named one if this build has it and the CPU runs it.
    package static func choose(override: String?, cpu: CPUVectorFeatures,
                              built: [KernelPath] = builtPaths) -> Result<(path: KernelPath, chosenBy: String), KernelChoiceError> {
        let names = built.map(\.rawValue).joined(separator: ", ")
        guard let override, !override.isEmpty else {
            guard let path = automaticPath(for: cpu, built: built) else {
                return .failure(KernelChoiceError(message: "this CPU runs none of this build's kernels (\(names))"))
            }
            return .success((path, "cpu"))
        }
        guard let path = KernelPath(rawValue: override) else {
            return .failure(KernelChoiceError(message: """
                \(variable)=\(override): unknown kernel path; expected one of \(names), or unset for the best this CPU runs
                """))
        }
        guard built.contains(path) else {
            return .failure(KernelChoiceError(message: """
                \(variable)=\(override): this build has no \(path.rawValue) kernels (v3 and v4 are built on x86-64 only); \
                it has \(names)
                """))
        }
        let missing = missingFeatures(for: path, on: cpu)
        guard missing.isEmpty else {
            let runnable = runnablePaths(on: cpu, built: built).map(\.rawValue).joined(separator: ", ")
            return .failure(KernelChoiceError(message: """
                \(variable)=\(override): this CPU lacks \(missing.joined(separator: ", ")), which the \(path.rawValue) kernels \
                need; it runs \(runnable)
                """))
        }
        return .success((path, "user \(variable)"))
    }

    /// This process's choice, made once from its environment and CPU.
    package static let selection: Result<(path: KernelPath, chosenBy: String), KernelChoiceError> =
        choose(override: ProcessInfo.processInfo.environment[variable], cpu: .thisMachine)

    /// Why this process cannot run the kernels SEQREC_KERNELS names, or nil. The executables
    /// ask at start-up and exit with status 2 (a usage error) on a problem.
    public static var startupProblem: String? {
        if case .failure(let error) = selection { return error.message }
        return nil
    }

    /// The kernels this process runs. A library user who set an impossible SEQREC_KERNELS
    /// without asking `startupProblem` stops here, with its message.
    package static let active: any KernelSet.Type = {
        switch selection {
        case .success(let choice):
            guard let kernels = kernels(for: choice.path) else { fatalError("\(choice.path) kernels are not built") }
            return kernels
        case .failure(let error):
            fatalError(error.message)
        }
    }()

    /// The kernels this process runs, for provenance and `runner --version`.
    public static var current: KernelInfo {
        let chosenBy = (try? selection.get().chosenBy) ?? "cpu"
        let build = active.build
        return KernelInfo(path: build.path, lanes: build.lanes, instructions: build.instructions, chosenBy: chosenBy)
    }
}
