// Reading a file that must be a regular file, without ever blocking or reading forever.
// open(2) of a FIFO for reading waits for a writer (and a signal does not end the wait),
// a device such as /dev/zero never ends, and a directory "fails" with a misleading
// permission or Cocoa error. So: stat first (a device is never opened at all), open with
// O_NONBLOCK, check with fstat that what was opened is still a regular file (the name may
// have been replaced in between), and only then read. Every read of a run file, report,
// per-user sidecar, evaluation, id map, config, schema and data file goes through here.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that cannot be read, and why, in words that say what the path is.
package struct RegularFileError: Error, Equatable, CustomStringConvertible {
    package var path: String
    /// What is at the path (`.regular` when the file was fine but reading it failed).
    var kind: FileKind
    /// "it does not exist", "it is a directory", "it is not a regular file (a FIFO)",
    /// "permission denied", ...
    package var reason: String

    package var description: String { "cannot read '\(path)': \(reason)" }

    package var isMissing: Bool { kind == .missing }
}

/// A regular file open for reading; closed when released.
package final class OpenRegularFile {
    package let path: String
    /// The size when it was opened, in bytes.
    package let size: Int
    private let descriptor: Int32

    fileprivate init(path: String, size: Int, descriptor: Int32) {
        self.path = path
        self.size = size
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes from the current position; fewer only at the end of the file.
    package func read(upToCount count: Int) throws(RegularFileError) -> Data {
        var data = Data(count: count)
        var filled = 0
        var failure: Int32 = 0
        data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            while filled < count {
                let got = systemRead(descriptor, base + filled, count - filled)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if got == 0 { return }
                filled += got
            }
        }
        if failure != 0 {
            throw RegularFileError(path: path, kind: .regular(size: size), reason: RegularFile.systemReason(failure))
        }
        if filled < count { data.removeSubrange(filled...) }
        return data
    }

    /// The rest of the file, or at most `limit` bytes of it.
    package func readToEnd(limit: Int = .max) throws(RegularFileError) -> Data {
        // The size from fstat in one read; a file that grew meanwhile is read on in pieces.
        var data = try read(upToCount: min(size, limit))
        while data.count < limit {
            let piece = try read(upToCount: min(1 << 20, limit - data.count))
            if piece.isEmpty { break }
            data.append(piece)
        }
        return data
    }

    private func systemRead(_ descriptor: Int32, _ bytes: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(descriptor, bytes, count)
        #else
        Darwin.read(descriptor, bytes, count)
        #endif
    }
}

package enum RegularFile {
    /// Opens `path` (symbolic links followed) if it is a regular file that can be read.
    package static func open(_ path: String) throws(RegularFileError) -> OpenRegularFile {
        let before = FileKind.of(path)
        guard case .regular = before else { throw notAFile(path, before) }
        let descriptor = systemOpen(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let number = errno
            if number == ENOENT || number == ENOTDIR { throw notAFile(path, .missing) }
            throw RegularFileError(path: path, kind: before, reason: systemReason(number))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let number = errno
            close(descriptor)
            throw RegularFileError(path: path, kind: before, reason: systemReason(number))
        }
        let opened = FileKind(mode: info.st_mode, size: Int(info.st_size))
        guard case .regular(let size) = opened else {
            close(descriptor)
            throw notAFile(path, opened)
        }
        return OpenRegularFile(path: path, size: size, descriptor: descriptor)
    }

    /// The whole file (at most `limit` bytes of it), if it is a regular file.
    package static func read(_ path: String, limit: Int = .max) throws(RegularFileError) -> Data {
        try open(path).readToEnd(limit: limit)
    }

    /// The whole file at `url`.
    package static func read(_ url: URL) throws(RegularFileError) -> Data {
        try read(url.path)
    }

    private static func notAFile(_ path: String, _ kind: FileKind) -> RegularFileError {
        RegularFileError(path: path, kind: kind, reason: "it \(kind.problem ?? "is not a regular file")")
    }

    /// The system's reason, as in the rest of the messages: "permission denied".
    static func systemReason(_ number: Int32) -> String {
        let text = String(cString: strerror(number))
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }

    private static func systemOpen(_ path: String, _ flags: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.open(path, flags)
        #else
        Darwin.open(path, flags)
        #endif
    }
}
