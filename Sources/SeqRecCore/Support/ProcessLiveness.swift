// Whether a process id names a live process on this machine: the question behind a lock file
// left by a killed run and a temporary file left by a killed write.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package enum ProcessLiveness {
    /// True when `pid` is a process that can still do something (running or stopped), also
    /// when it belongs to another user. A zombie (ended, not yet reaped by its parent, which
    /// may take a while when that parent is a container's init) counts as dead on Linux.
    package static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        return !isZombie(pid)
    }

    /// Whether /proc says `pid` has ended (state Z or X); false where there is no /proc.
    static func isZombie(_ pid: pid_t) -> Bool {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        // "pid (comm) S ...": the state follows the last ')' (comm may hold anything).
        let bytes = buffer.prefix(count)
        guard let end = bytes.lastIndex(of: UInt8(ascii: ")")), end + 2 < count else { return false }
        let state = bytes[end + 2]
        return state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")
    }
}
