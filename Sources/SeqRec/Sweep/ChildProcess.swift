// A runner child of `runner sweep`, started with posix_spawn in its own process group:
// the terminal's Ctrl-C then reaches only the sweep, which forwards it exactly once (a
// runner that gets a second SIGINT exits at once, without writing its report). The child's
// environment names the sweep (`SEQREC_SWEEP_PARENT`), so that the runner can arrange to get
// SIGKILL when the sweep dies, however it dies (the runner CLI does that at start).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a child ended.
package enum ChildTermination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    package var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signaled(let signal): return "signal \(signal)"
        }
    }
}

package struct ChildSpawnError: Error, Sendable, CustomStringConvertible {
    package var executable: String
    package var errorNumber: Int32
    package var description: String {
        "could not start \(executable): \(String(cString: strerror(errorNumber))) (errno \(errorNumber))"
    }
}

struct ChildProcess {
    let pid: pid_t

    /// Starts `executable arguments...` with our environment, stdio, and default SIGINT/SIGTERM.
    static func spawn(executable: String, arguments: [String]) throws(ChildSpawnError) -> ChildProcess {
        #if os(Linux)
        var attributes = posix_spawnattr_t()
        #else
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        // Handlers are not inherited anyway; an ignored or blocked signal would be.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let words = ([executable] + arguments).map { strdup($0) }
        defer { words.forEach { free($0) } }
        let environment = childEnvironment().map { strdup($0) }
        defer { environment.forEach { free($0) } }
        var pid = pid_t()
        let result = (words + [nil]).withUnsafeBufferPointer { argv -> Int32 in
            (environment + [nil]).withUnsafeBufferPointer { envp -> Int32 in
                guard let arguments = argv.baseAddress, let variables = envp.baseAddress else { return EINVAL }
                return posix_spawn(&pid, executable, nil, &attributes, arguments, variables)
            }
        }
        guard result == 0 else { throw ChildSpawnError(executable: executable, errorNumber: result) }
        return ChildProcess(pid: pid)
    }

    /// Ours, with `SEQREC_SWEEP_PARENT=<our pid>` in place of any inherited value.
    static func childEnvironment() -> [String] {
        var variables: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            if !text.hasPrefix(SweepChild.parentVariable + "=") { variables.append(text) }
            index += 1
        }
        return variables + ["\(SweepChild.parentVariable)=\(getpid())"]
    }

    /// The termination if the child has ended (reaping it), nil while it runs.
    func poll() -> ChildTermination? {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == 0 { return nil }
        guard reaped == pid else {
            // ECHILD: somebody else reaped it; nothing more can be known.
            return errno == EINTR ? nil : .exited(-1)
        }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    func send(_ signal: Int32) {
        kill(pid, signal)
    }
}

/// What a runner started by `runner sweep` finds in its environment.
public enum SweepChild {
    /// `SEQREC_SWEEP_PARENT`: the pid of the sweep that started this runner.
    public static let parentVariable = "SEQREC_SWEEP_PARENT"
}

/// Counts SIGINT/SIGTERM received by the sweep, so that the pool can forward each one. The
/// process owner (the runner CLI) installs the handlers before `SweepRunner.run`.
public enum SweepSignals {
    // Written by the handler, read by the pool loop: sig_atomic_t is all a handler may touch.
    nonisolated(unsafe) private static var count: sig_atomic_t = 0
    nonisolated(unsafe) private static var last: sig_atomic_t = 0

    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            SweepSignals.last = sig_atomic_t(signal)
            SweepSignals.count += 1
        }
        Interruption.installForInterruptSignals(handler)
    }

    static var received: Int { Int(count) }
    static var lastSignal: Int32 { Int32(last) }
}
