// The first thing a run does, before it loads any data: make sure its output directory can
// hold its results. It creates the directory, takes the directory's lock (one run per
// directory, see RunDirectoryLock) and writes and removes a small probe file. A path that is
// a file, sits under a file, is too long, is not writable, is on a full disk, or is being
// written by another run fails here, in a second, instead of after training.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a run cannot use its output directory; nothing was written.
package struct OutputDirectoryError: Error, Equatable, CustomStringConvertible {
    package var path: String
    package var reason: String
    /// The pid of the run holding the directory's lock, when that is the reason.
    package var holder: Int32?

    package var description: String { "output directory '\(path)' cannot be used: \(reason)" }
}

package enum OutputDirectory {
    /// The probe's name; like the atomic writes' temporary files it starts with a dot.
    static let probeName = ".write-check.tmp"
    /// A page: enough to find a full disk, too little to matter.
    static let probeSize = 4096

    /// Creates `path`, locks it for this process and checks that a file can be written in it.
    /// The caller keeps the returned lock until its report is written. On a file system
    /// without locks the run goes on unlocked (nil), after `note` says so.
    package static func prepare(_ path: String, note: (String) -> Void) throws(OutputDirectoryError) -> RunDirectoryLock? {
        do {
            try DirectoryCreation.create(path)
        } catch {
            throw OutputDirectoryError(path: path, reason: error.reason)
        }
        var lock: RunDirectoryLock?
        do {
            lock = try RunDirectoryLock.acquire(directory: path)
        } catch {
            if case .unsupported = error {
                note("note: \(error); running without it, so nothing stops a second run into '\(path)'")
            } else {
                var failure = OutputDirectoryError(path: path, reason: error.description)
                if case .held(_, let pid) = error { failure.holder = pid }
                throw failure
            }
        }
        let probe = (path.hasSuffix("/") ? path : path + "/") + probeName
        if let reason = writeProbe(probe) {
            lock?.release()
            throw OutputDirectoryError(path: path, reason: "cannot write '\(probe)': \(reason)")
        }
        return lock
    }

    /// Writes, flushes and removes the probe; the system's reason on failure (nothing left behind).
    /// The probe is always a new file (O_EXCL): whatever has its name (a probe left by a run
    /// killed at this step, or a symbolic link planted to make the run write elsewhere) is
    /// unlinked first, which removes the name and never touches what a link points to.
    private static func writeProbe(_ path: String) -> String? {
        var descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if descriptor < 0, errno == EEXIST, unlink(path) == 0 {
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        let bytes = [UInt8](repeating: 0x2E, count: probeSize)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var failure: Int32 = written < 0 ? errno : (written < probeSize ? ENOSPC : 0)
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0, failure == 0 { failure = errno }
        let removed = unlink(path) == 0
        if failure != 0 { return String(cString: strerror(failure)) }
        return removed ? nil : "cannot remove it: \(String(cString: strerror(errno)))"
    }
}
