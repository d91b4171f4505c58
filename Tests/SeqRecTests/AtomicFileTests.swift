import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Atomic writes: the temporary files a killed write leaves behind are removed by the next
// write in that directory (only those of dead processes), and failures name the file and
// the system's reason.

@Suite struct AtomicFileTests {
    @Test func temporaryNamesAreRecognized() {
        #expect(AtomicFile.temporaryName(for: "report.json", pid: 123, tag: 0xbeef) == ".report.json.seqrec-123-0000beef.tmp")
        #expect(AtomicFile.temporaryPid(".report.json.seqrec-123-0000beef.tmp") == 123)
        #expect(AtomicFile.temporaryPid(".x.seqrec-7-00000000.tmp") == 7)
        #expect(AtomicFile.temporaryPid(".my.notes.txt.seqrec-7-0a1b2c3d.tmp") == 7)
        for other in ["report.json", ".report.json.123.tmp", "report.json.seqrec-123-0000beef.tmp", ".report.json.seqrec-abc-0000beef.tmp",
                      ".report.json.seqrec-123-beef.tmp", ".report.json.seqrec-123-0000BEEF.tmp", ".report.json.seqrec-123-0000xyzw.tmp",
                      ".seqrec-123-0000beef.tmp", ".write-check.tmp", ".lock", ".x.seqrec-0-0000beef.tmp", ".x.seqrec--4-0000beef.tmp",
                      ".x.seqrec-+4-0000beef.tmp", ".x.other-4-0000beef.tmp",
                      // other programs' temporary files of the same shape as ours without the marker
                      ".report.json.123.beef.tmp", ".notes.txt.99999.1234abcd.tmp", ".mydb.4000000.deadbeef.tmp"] {
            #expect(AtomicFile.temporaryPid(other) == nil, "\(other)")
        }
    }

    @Test func theNextWriteRemovesTemporaryFilesOfDeadProcessesOnly() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dead = try deadPid()
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer {  // SIGKILL: Foundation may start it with SIGTERM blocked
            kill(sleeper.processIdentifier, SIGKILL)
            sleeper.waitUntilExit()
        }
        let stale = [".report.json.seqrec-\(dead)-00001a2b.tmp", ".state.safetensors.seqrec-\(dead)-000000ff.tmp"]
        let kept = [".report.json.seqrec-\(sleeper.processIdentifier)-0000003c.tmp",  // a live process's write in progress
                    ".model.safetensors.seqrec-\(getpid())-0000004d.tmp",  // this process's
                    // not ours: other programs' temporary files in a shared directory
                    ".notes.tmp", "keep.\(dead).1.tmp", ".notes.txt.\(dead).1234abcd.tmp", ".mydb.4000000.deadbeef.tmp"]
        for name in stale + kept { try Data("partial".utf8).write(to: scratch.appendingPathComponent(name)) }

        try AtomicFile.write(Data("{}\n".utf8), to: scratch.appendingPathComponent("report.json"))
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: scratch.path))
        #expect(names == Set(kept + ["report.json"]))
        #expect(ConfigFixtures.read(scratch.appendingPathComponent("report.json")) == "{}\n")
    }

    @Test func failuresNameTheDestinationAndTheReason() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        // The destination is a directory: rename(2) refuses, and nothing is left behind.
        let occupied = scratch.appendingPathComponent("report.json")
        try FileManager.default.createDirectory(at: occupied.appendingPathComponent("inside"), withIntermediateDirectories: true)
        #expect(throws: ReportError.cannotWrite(path: occupied.path, reason: "Is a directory")) {
            try AtomicFile.write(Data("{}".utf8), to: occupied)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["report.json"])
        // A parent is a file.
        let file = scratch.appendingPathComponent("file")
        try Data().write(to: file)
        #expect(throws: ReportError.cannotCreateDirectory(path: file.path + "/run", reason: "'\(file.path)' is not a directory")) {
            try AtomicFile.write(Data(), to: file.appendingPathComponent("run/report.json"))
        }
    }

    /// A child that has ended but was not reaped yet (a zombie) is dead: its files can go.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat")))
    func aZombieIsNotAlive() throws {
        var pid = pid_t()
        let words: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { free(words[0]) }
        let result = words.withUnsafeBufferPointer { argv in
            posix_spawn(&pid, "/bin/true", nil, nil, argv.baseAddress!, environ)
        }
        try #require(result == 0)
        #expect(waitFor(10) { ProcessLiveness.isZombie(pid) })
        #expect(!ProcessLiveness.isAlive(pid))
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(ProcessLiveness.isAlive(getpid()) && !ProcessLiveness.isZombie(getpid()))
    }

    @Test func theCrashHookIsParsedStrictly() {
        #expect(CrashHook.parse("stop:before-rename:report.json") == .init(phase: .beforeRename, file: "report.json", occurrence: 1))
        #expect(CrashHook.parse("stop:mid-write:state.safetensors:3") == .init(phase: .midWrite, file: "state.safetensors", occurrence: 3))
        for bad in ["", "stop", "stop:later:report.json", "stop:mid-write:", "stop:mid-write:x:0", "go:mid-write:x", "stop:mid-write:x:1:2"] {
            #expect(CrashHook.parse(bad) == nil, "\(bad)")
        }
    }
}
