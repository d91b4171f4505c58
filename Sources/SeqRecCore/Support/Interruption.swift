// SIGINT/SIGTERM handling: the first signal asks the trainer to stop after the current
// batch (it then writes an `interrupted` report); a second one exits at once. The process
// owner (the runner CLI) installs the handlers; library code only reads `requested`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Interruption {
    // Written from a signal handler, read by the training loop; a sig_atomic_t-sized flag
    // is the one thing a handler may safely touch.
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    /// Installs the handlers (idempotent).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if Interruption.flag != 0 { _exit(128 + signal) }
            Interruption.flag = sig_atomic_t(signal)
        }
        installForInterruptSignals(handler)
    }

    /// Installs `handler` for SIGINT and SIGTERM and unblocks both: a parent may have
    /// started us with them blocked (Foundation's Process passes its thread's mask on).
    package static func installForInterruptSignals(_ handler: @convention(c) (Int32) -> Void) {
        _ = signal(SIGINT, handler)
        _ = signal(SIGTERM, handler)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The signal that was received, or nil.
    package static var requested: Int32? { flag == 0 ? nil : Int32(flag) }
}
