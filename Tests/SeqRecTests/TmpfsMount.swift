import Foundation
import Testing

// Small file systems for the output-directory and full-disk tests: a tmpfs mounted on a
// scratch directory (root on Linux; CI runs as root). Tests that need one are skipped, with
// the reason, where mounting is not permitted.

struct TmpfsMount {
    let directory: URL

    /// Why a tmpfs cannot be mounted here, found once by trying; nil when it can.
    static let problem: String? = {
        do {
            let probe = try mount(size: "64k")
            probe.unmount()
            return nil
        } catch {
            return "needs a tmpfs mount: \(error)"
        }
    }()

    static var skipComment: Comment { Comment(rawValue: problem ?? "") }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Mounts a tmpfs of `size` (mount's syntax: 2m, 64k) with extra `options` on a new directory.
    static func mount(size: String, options: [String] = []) throws -> TmpfsMount {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-tmpfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let result = try run("/bin/mount", ["-t", "tmpfs", "-o", (["size=\(size)"] + options).joined(separator: ","),
                                            "tmpfs", directory.path])
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw Failure(description: "mount -t tmpfs failed (exit \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return TmpfsMount(directory: directory)
    }

    func unmount() {
        _ = try? Self.run("/bin/umount", [directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Free bytes for an unprivileged writer.
    var freeBytes: Int {
        var info = statvfs()
        guard statvfs(directory.path, &info) == 0 else { return 0 }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: executable) else { return (127, "\(executable) not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
