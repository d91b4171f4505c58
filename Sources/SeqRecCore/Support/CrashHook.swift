// A hook for the crash-consistency check (scripts/crash-check.sh), so that a kill -9 can land
// at an exact moment of an atomic write instead of a lucky one. With
//
//   SEQREC_CRASH_HOOK=stop:PHASE:FILE[:N]
//
// the process stops itself (SIGSTOP) at PHASE of its N-th atomic write (default 1) of a file
// named FILE (e.g. state.safetensors, report.json, comparison.csv) and prints one line to
// stderr, `crash hook: stopped at PHASE of FILE (write N)`; the checker then kills it. PHASE is
// `mid-write` (half of the bytes are in the temporary file) or `before-rename` (the temporary
// file is complete and flushed), or `promote` (a finished attempt is being moved into place,
// Report/RunResult.swift: the process stops just before it renames FILE out of `.attempt/`;
// N is ignored). Without the variable (every normal run) this does nothing.

import Foundation
import Synchronization

package enum CrashHook {
    package enum Phase: String, Sendable {
        case midWrite = "mid-write"
        case beforeRename = "before-rename"
        case promote
    }

    struct Target: Equatable, Sendable {
        var phase: Phase
        var file: String
        var occurrence: Int
    }

    static let variable = "SEQREC_CRASH_HOOK"
    static let target: Target? = ProcessInfo.processInfo.environment[variable].flatMap(parse)
    /// Atomic writes of `target.file` so far.
    private static let writes = Atomic<Int>(0)

    /// `stop:PHASE:FILE[:N]`; nil for anything else.
    static func parse(_ text: String) -> Target? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 || parts.count == 4, parts[0] == "stop", let phase = Phase(rawValue: parts[1]),
              !parts[2].isEmpty else { return nil }
        let occurrence = parts.count == 4 ? Int(parts[3]) : 1
        guard let occurrence, occurrence >= 1 else { return nil }
        return Target(phase: phase, file: parts[2], occurrence: occurrence)
    }

    /// Counts an atomic write of `file` starting; returns its number when the hook targets it.
    package static func writeStarted(_ file: String) -> Int? {
        guard let target, target.file == file else { return nil }
        return writes.add(1, ordering: .sequentiallyConsistent).newValue
    }

    /// Stops the process just before a promotion renames `file` into place, when that is the target.
    package static func promoting(_ file: String) {
        guard let target, target.phase == .promote, target.file == file else { return }
        FileHandle.standardError.write(Data("crash hook: stopped at promote of \(file)\n".utf8))
        raise(SIGSTOP)
    }

    /// Stops the process when `phase` of write number `write` of `file` is the target.
    package static func reached(_ phase: Phase, file: String, write: Int?) {
        guard let target, let write, target.phase == phase, target.file == file, target.occurrence == write else { return }
        FileHandle.standardError.write(Data("crash hook: stopped at \(phase.rawValue) of \(file) (write \(write))\n".utf8))
        raise(SIGSTOP)
    }
}
