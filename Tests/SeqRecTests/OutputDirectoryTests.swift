import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// A run checks its output directory before it loads any data: a path it cannot create or
// write fails at once, exit 1, with a message naming the path and the reason, and writes
// nothing. The configs name a data file that does not exist: had the data been loaded first,
// the error would be about that file.

private func configWithMissingData(in scratch: URL) throws -> String {
    let url = scratch.appendingPathComponent("exp.yaml")
    try """
    name: exp
    dataset: {path: no-such-file.csv, format: csv}
    model: {cell: gru}
    training: {epochs: 1}
    """.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

private func runInto(_ outputDirectory: String, scratch: URL) throws -> SweepFixtures.Finished {
    try SweepFixtures.runner([try configWithMissingData(in: scratch), "--set", "output.dir=\(outputDirectory)"],
                             scratch: scratch, in: scratch)
}

private func expectRefused(_ outputDirectory: String, _ reason: String, scratch: URL,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
    let result = try runInto(outputDirectory, scratch: scratch)
    #expect(result.status == 1, sourceLocation: sourceLocation)
    #expect(result.stderr == "exp: failed: output directory '\(outputDirectory)' cannot be used: \(reason)\n",
            sourceLocation: sourceLocation)
    #expect(result.stdout == "", sourceLocation: sourceLocation)
}

@Suite(.enabled(if: SweepFixtures.runnerIsBuilt))
struct OutputDirectoryTests {
    @Test func theConfigFixtureFailsOnItsDataOtherwise() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = try runInto(scratch.appendingPathComponent("fine").path, scratch: scratch)
        #expect(result.status == 1)
        #expect(result.stderr.contains("no-such-file.csv"), "\(result.stderr)")
    }

    @Test func aFileAFileAboveAndDevNullAreRefused() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = scratch.appendingPathComponent("plain-file")
        try Data("not a directory\n".utf8).write(to: file)
        try expectRefused(file.path, "it exists and is not a directory", scratch: scratch)
        try expectRefused(file.path + "/run/x", "'\(file.path)' is not a directory", scratch: scratch)
        try expectRefused("/dev/null", "it exists and is not a directory", scratch: scratch)
        #expect(ConfigFixtures.read(file) == "not a directory\n")
    }

    @Test func aNameTooLongIsRefused() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let long = scratch.appendingPathComponent(String(repeating: "n", count: 300)).path
        try expectRefused(long, "cannot create '\(long)': File name too long (a name in the path has 300 bytes; at most 255 are allowed)",
                          scratch: scratch)
    }

    @Test(.enabled(if: TmpfsMount.problem == nil, TmpfsMount.skipComment))
    func aReadOnlyFileSystemIsRefused() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let disk = try TmpfsMount.mount(size: "1m", options: ["ro"])
        defer { disk.unmount() }
        let root = disk.directory.path
        try expectRefused(root + "/run", "cannot create '\(root)/run': Read-only file system", scratch: scratch)
        try expectRefused(root, "cannot lock '\(root)/.lock': Read-only file system", scratch: scratch)
    }

    /// The lock and the probe are gone after a run, whatever its end.
    @Test func aRunLeavesNeitherLockNorProbe() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        let result = try runInto(output.path, scratch: scratch)
        #expect(result.status == 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: output.path)
        #expect(left == ["report.json"], "\(left)")
    }
}
