// Whole-file replacement that readers never see half done: write a temporary file in the
// same directory (same file system), flush it, then rename(2) it over the destination. The
// temporary file is `.NAME.seqrec-PID-HEX.tmp` (PID: the writer's process id, HEX: 8 random
// hex digits). A failed write removes it; a write killed before its rename cannot, so every
// write first removes the temporary files of processes that no longer exist on this machine
// (never a live one's). Only names of exactly that form are removed: the directory may be
// shared with other programs, whose own `.x.123.abc.tmp` files are none of our business.
// After the rename the directory is flushed too, so that after a power loss the name points
// at the new content (the file's own fsync does not make the rename durable).

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum AtomicFile {
    /// Writes `data` to `url`, creating the directory. On any failure the destination keeps
    /// its previous content, the temporary file is removed, and the error names the
    /// destination and the system's reason (`cannot write 'x/report.json': No space left on
    /// device`). `beforeRename` lets tests fail the write at its last step.
    static func write(_ data: Data, to url: URL, beforeRename: () throws -> Void = {}) throws {
        let directory = url.deletingLastPathComponent()
        do {
            try DirectoryCreation.create(directory.path)
        } catch {
            throw ReportError.cannotCreateDirectory(path: directory.path, reason: error.reason)
        }
        removeStaleTemporaries(in: directory)
        let name = url.lastPathComponent
        let temporary = directory.appendingPathComponent(
            temporaryName(for: name, pid: getpid(), tag: UInt32.random(in: 0 ... .max)))
        let hookWrite = CrashHook.writeStarted(name)
        do {
            if let number = writeFlushed(data, to: temporary.path, midWrite: { CrashHook.reached(.midWrite, file: name, write: hookWrite) }) {
                throw ReportError.cannotWrite(path: url.path, reason: String(cString: strerror(number)))
            }
            CrashHook.reached(.beforeRename, file: name, write: hookWrite)
            try beforeRename()
            guard rename(temporary.path, url.path) == 0 else {
                throw ReportError.cannotWrite(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary.path)
            if let reportError = error as? ReportError { throw reportError }
            throw ReportError.cannotWrite(path: url.path, reason: describe(error))
        }
        DirectorySync.flush(directory.path)
    }

    /// `.NAME.seqrec-PID-HEX.tmp`.
    static func temporaryName(for name: String, pid: Int32, tag: UInt32) -> String {
        let hex = String(tag, radix: 16)
        return ".\(name).\(temporaryMarker)-\(pid)-\(String(repeating: "0", count: 8 - hex.count))\(hex).tmp"
    }

    private static let temporaryMarker = "seqrec"

    /// The writer's pid when `name` is one of our temporary files' names.
    static func temporaryPid(_ name: String) -> Int32? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
        let body = name.dropFirst().dropLast(4)
        guard let dot = body.lastIndex(of: "."), dot > body.startIndex else { return nil }
        let parts = body[body.index(after: dot)...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == temporaryMarker,
              parts[2].utf8.count == 8, parts[2].allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let pid = Int32(parts[1]), pid > 0 else { return nil }
        return pid
    }

    /// Removes the temporary files in `directory` left by processes that have ended: regular
    /// files named as `temporaryName` names them, nothing else.
    static func removeStaleTemporaries(in directory: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        let own = getpid()
        for name in names {
            guard let pid = temporaryPid(name), pid != own, !ProcessLiveness.isAlive(pid) else { continue }
            let path = directory.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            unlink(path)
        }
    }

    /// Creates `path` (which must not exist), writes `data`, flushes and closes it; the errno
    /// of the first failure, or nil. `midWrite` runs once half of the bytes are written.
    private static func writeFlushed(_ data: Data, to path: String, midWrite: () -> Void) -> Int32? {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { return errno }
        var failure: Int32?
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            let half = buffer.count / 2
            var offset = 0
            var halfway = false
            while offset < buffer.count {
                if !halfway, offset >= half {
                    halfway = true
                    midWrite()
                }
                let end = offset < half ? half : buffer.count
                let written = systemWrite(descriptor, base + offset, end - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if written == 0 {
                    failure = EIO
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0, failure == nil { failure = errno }
        return failure
    }

    private static func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
        #else
        Darwin.write(descriptor, bytes, count)
        #endif
    }

    static func describe(_ error: Error) -> String {
        if let reportError = error as? ReportError { return reportError.description }
        return (error as NSError).localizedDescription
    }
}
