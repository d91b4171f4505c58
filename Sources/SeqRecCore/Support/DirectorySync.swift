// fsync(2) of a directory: after a rename into it, makes the new name durable across a power
// loss (the renamed file's own fsync does not cover the directory entry).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package enum DirectorySync {
    /// Flushes the entries of the directory at `path`. Best effort: callers have already put
    /// the new content in place, and some file systems cannot sync a directory (EINVAL), so a
    /// failure here must not turn a finished write into an error.
    package static func flush(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
