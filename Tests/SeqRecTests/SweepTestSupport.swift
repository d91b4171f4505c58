import Foundation
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Shared by the sweep tests: fixture paths (relative to the repository root, where the
// binary runs, so that printed commands are stable), and launching the built runner,
// `make` and `/bin/sh` with output captured in files.

enum SweepFixtures {
    static let tinyGrid = "Tests/Fixtures/sweep/tiny-grid.yaml"
    static let awkwardGrid = "Tests/Fixtures/sweep/awkward-names.yaml"
    static let directory = ConfigFixtures.fixtures.appendingPathComponent("sweep")
    static let runnerIsBuilt = FileManager.default.isExecutableFile(atPath: ConfigFixtures.runnerBinary.path)
    static let makeIsInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/make")

    struct Finished {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A started process whose output goes to files in `scratch`.
    struct Launched {
        let process: Process
        let stdoutURL: URL
        let stderrURL: URL
        var stdout: String { ConfigFixtures.read(stdoutURL) }
        var stderr: String { ConfigFixtures.read(stderrURL) }

        func wait() -> Finished {
            process.waitUntilExit()
            return Finished(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }
    }

    static func makeScratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts `executable` in `directory` (default: the repository root), output in `scratch`.
    static func launch(_ executable: String, _ arguments: [String], scratch: URL,
                       in directory: URL = ConfigFixtures.repositoryRoot,
                       environment extra: [String: String] = [:]) throws -> Launched {
        let tag = UUID().uuidString
        let stdoutURL = scratch.appendingPathComponent("stdout-\(tag)")
        let stderrURL = scratch.appendingPathComponent("stderr-\(tag)")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"  // a crash must not hang the suite in the backtracer
        // Run as a top-level make even when the suite itself runs under `make test`
        // (otherwise make prints "Entering directory" and inherits the parent's flags).
        for key in ["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"] { environment.removeValue(forKey: key) }
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        return Launched(process: process, stdoutURL: stdoutURL, stderrURL: stderrURL)
    }

    static func runner(_ arguments: [String], scratch: URL, in directory: URL = ConfigFixtures.repositoryRoot) throws -> Finished {
        try launch(ConfigFixtures.runnerBinary.path, arguments, scratch: scratch, in: directory).wait()
    }

    static func shell(_ command: String, scratch: URL) throws -> Finished {
        try launch("/bin/sh", ["-c", command], scratch: scratch).wait()
    }

    static func make(_ arguments: [String], scratch: URL) throws -> Finished {
        try launch("/usr/bin/make", arguments, scratch: scratch).wait()
    }

    /// The run's start time recorded in its report: unchanged means the point did not run again.
    static func startedAt(_ directory: URL) throws -> Date {
        try ReportReader.read(directory.appendingPathComponent("report.json")).startedAt.date
    }

    /// Splits a command printed by `ShellQuoting` back into words (bare words and
    /// single-quoted parts, which is all it emits).
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quoted = false
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted {
                if character == "'" { quoted = false } else { current.append(character) }
            } else if character == "'" {
                quoted = true
                inWord = true
            } else if character == "\\" {
                escaped = true  // only as part of '\'' in our output
                inWord = true
            } else if character == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
