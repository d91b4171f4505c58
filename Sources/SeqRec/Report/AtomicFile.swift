// Whole-file replacement that readers never see half done: write a temporary file in the
// same directory (same file system), flush it, then rename(2) it over the destination.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum AtomicFile {
    /// Writes `data` to `url`, creating the directory. On any failure the destination keeps
    /// its previous content and the temporary file is removed. `beforeRename` lets tests fail
    /// the write at its last step.
    static func write(_ data: Data, to url: URL, beforeRename: () throws -> Void = {}) throws {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportError.cannotCreateDirectory(path: directory.path, reason: describe(error))
        }
        let suffix = UInt32.random(in: 0 ... .max)
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(String(suffix, radix: 16)).tmp")
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw ReportError.cannotWrite(path: temporary.path, reason: "cannot create the temporary file")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try beforeRename()
            guard rename(temporary.path, url.path) == 0 else {
                throw ReportError.cannotWrite(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let reportError = error as? ReportError { throw reportError }
            throw ReportError.cannotWrite(path: url.path, reason: describe(error))
        }
    }

    static func describe(_ error: Error) -> String {
        if let reportError = error as? ReportError { return reportError.description }
        return (error as NSError).localizedDescription
    }
}
