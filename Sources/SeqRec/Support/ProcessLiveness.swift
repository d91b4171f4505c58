// Whether a process id names a live process on this machine: the question behind a lock file
// left by a killed run and a temporary file left by a killed write.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ProcessLiveness {
    /// True when `pid` exists (running, stopped, or a zombie not yet reaped), also when it
    /// belongs to another user. Only a pid the kernel does not know is dead.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return true }
        return errno == EPERM
    }
}
