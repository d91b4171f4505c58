// One writer per run directory. A run holds an exclusive lock on `<dir>/.lock` from before it
// loads its data until its report is written; the file holds the holder's pid as one line of
// text. The lock belongs to the open file, not to the file's existence: the kernel drops it
// when the holder ends, however it ends (kill -9 included), so a `.lock` left behind by a dead
// process is not locked and the next run simply takes it over.
//
// The lock file is never reached through a symbolic link (O_NOFOLLOW), must be a regular
// file with no other name (a hard link), and is opened without blocking: a `.lock` planted as
// a link to another file, or as a FIFO, is refused rather than written through or waited on.
//
// On Linux it is an open-file-description lock (fcntl F_OFD_SETLK): it is not shared with
// children, is not dropped when some other descriptor of the file is closed, and a reader can
// test it without taking it (F_OFD_GETLK), so `runner plan` asking whether a point is running
// never gets in the way of a run that is starting. Elsewhere it is flock(2), and the test
// takes a shared lock for an instant.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a run directory's lock could not be taken; the message names the lock file.
public enum RunLockError: Error, Equatable, CustomStringConvertible {
    /// Another live process holds the lock: its pid as the file records it (nil when unreadable).
    case held(lockPath: String, pid: Int32?)
    /// The lock file cannot be created or locked (the system's reason).
    case unusable(lockPath: String, reason: String)
    /// The pid cannot be written into the lock file (the system's reason, e.g. a full disk).
    case unwritable(lockPath: String, reason: String)
    /// The file system does not do locks (e.g. Lustre mounted with `noflock`, NFS without a
    /// lock daemon).
    case unsupported(lockPath: String, reason: String)

    public var description: String {
        switch self {
        case .held(let path, let pid):
            return "another run (\(pid.map { "pid \($0)" } ?? "pid unknown")) holds '\(path)'"
        case .unusable(let path, let reason):
            return "cannot lock '\(path)': \(reason)"
        case .unwritable(let path, let reason):
            return "cannot write '\(path)': \(reason)"
        case .unsupported(let path, let reason):
            return "cannot lock '\(path)': the file system does not support locks (\(reason))"
        }
    }
}

/// The lock of one run directory, held until `release()` (or until the process ends).
public final class RunDirectoryLock {
    package static let fileName = ".lock"

    /// The process holding a directory's lock, as `holder(of:)` finds it.
    public struct Holder: Sendable, Equatable {
        /// The pid the lock file records; nil if the file could not be read.
        public var pid: Int32?
    }

    public let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { release() }

    public static func lockPath(in directory: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + fileName
    }

    /// Takes the lock of `directory` (which must exist) and writes this process's pid into it.
    /// Never waits: a lock held by a live process throws `.held` with that process's pid.
    public static func acquire(directory: String) throws(RunLockError) -> RunDirectoryLock {
        let path = lockPath(in: directory)
        // The previous holder removes the file as it releases it; a process that opened the
        // old file just before then holds a lock nobody else can see, and must try again.
        for _ in 0 ..< 8 {
            let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                let number = errno
                if number == ELOOP { throw .unusable(lockPath: path, reason: "it is a symbolic link (a lock file never is one; remove it)") }
                throw .unusable(lockPath: path, reason: errorText(number))
            }
            if let problem = notAPlainFile(descriptor) {
                close(descriptor)
                throw .unusable(lockPath: path, reason: problem)
            }
            let result = tryLock(descriptor)
            if result != 0 {
                if result == EAGAIN || result == EACCES || result == EWOULDBLOCK {
                    let pid = recordedPid(descriptor)
                    close(descriptor)
                    throw .held(lockPath: path, pid: pid)
                }
                close(descriptor)
                unlink(path)
                if [ENOLCK, ENOSYS, EINVAL, EOPNOTSUPP].contains(result) {
                    throw .unsupported(lockPath: path, reason: errorText(result))
                }
                throw .unusable(lockPath: path, reason: errorText(result))
            }
            guard isFile(descriptor, at: path) else {
                close(descriptor)
                continue
            }
            let text = Array("\(getpid())\n".utf8)
            let written = ftruncate(descriptor, 0) != 0 ? -1
                : text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            guard written == text.count else {
                // A short write of a few bytes means the file system is full.
                let reason = errorText(written < 0 ? errno : ENOSPC)
                unlink(path)
                close(descriptor)
                throw .unwritable(lockPath: path, reason: reason)
            }
            return RunDirectoryLock(path: path, descriptor: descriptor)
        }
        throw .unusable(lockPath: path, reason: "the lock file kept being replaced by other processes")
    }

    /// Removes the lock file and drops the lock (idempotent). The file is removed while the
    /// lock is still held, so no process can take a lock on it that another would not see.
    package func release() {
        guard descriptor >= 0 else { return }
        if Self.isFile(descriptor, at: path) { unlink(path) }
        close(descriptor)
        descriptor = -1
    }

    /// The live process holding `directory`'s lock, or nil when nobody does (no lock file,
    /// or one left by a process that has ended). Takes no lock on Linux.
    public static func holder(of directory: String) -> Holder? {
        let descriptor = open(lockPath(in: directory), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard notAPlainFile(descriptor) == nil else { return nil }
        #if os(Linux)
        var probe = flock()
        probe.l_type = Int16(F_WRLCK)
        probe.l_whence = Int16(SEEK_SET)
        guard fcntl(descriptor, ofdGetLock, &probe) == 0, probe.l_type != Int16(F_UNLCK) else { return nil }
        #else
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        #endif
        return Holder(pid: recordedPid(descriptor))
    }

    // MARK: Helpers

    #if os(Linux)
    // F_OFD_GETLK and F_OFD_SETLK (fcntl.h defines them only under _GNU_SOURCE).
    private static let ofdGetLock: Int32 = 36
    private static let ofdSetLock: Int32 = 37
    #endif

    /// 0, or the errno of a failed non-blocking exclusive lock.
    private static func tryLock(_ descriptor: Int32) -> Int32 {
        #if os(Linux)
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        return fcntl(descriptor, ofdSetLock, &request) == 0 ? 0 : errno
        #else
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0 ? 0 : errno
        #endif
    }

    /// The pid in the lock file. A holder writes it just after locking, so an empty file is
    /// read again for up to 0.1 s.
    private static func recordedPid(_ descriptor: Int32) -> Int32? {
        for attempt in 0 ..< 20 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0, let text = String(validating: buffer.prefix(count), as: UTF8.self),
               let pid = Int32(text.trimmingWhitespace()), pid > 0 {
                return pid
            }
            if attempt < 19 { usleep(5_000) }
        }
        return nil
    }

    /// Why the open lock file is not one this process may write (a FIFO, a device, a file with
    /// a second name elsewhere), or nil.
    private static func notAPlainFile(_ descriptor: Int32) -> String? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return errorText(errno) }
        let kind = FileKind(mode: info.st_mode, size: Int(info.st_size))
        guard case .regular = kind else { return "it \(kind.problem ?? "is not a regular file")" }
        if info.st_nlink > 1 { return "it has \(info.st_nlink) names (a hard link to another file; remove it)" }
        return nil
    }

    /// Whether `path` names the file open as `descriptor` (same device and inode).
    private static func isFile(_ descriptor: Int32, at path: String) -> Bool {
        var open = stat()
        var named = stat()
        guard fstat(descriptor, &open) == 0, stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    private static func errorText(_ number: Int32) -> String {
        String(cString: strerror(number))
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
