// Training progress: a live bar on a terminal, one plain line per epoch otherwise (CI logs),
// nothing with --quiet, and for a point of `runner sweep` (`--epoch-lines`) only the epoch lines
// and notes, each prefixed with the run's name and written whole, so that the lines of points
// running side by side interleave without mixing. Writes to standard error so stdout stays
// machine-readable.
import Foundation

package final class ProgressReporter: @unchecked Sendable {
    package enum Mode: Sendable { case live, lines, quiet, pointLines }
    package let mode: Mode
    /// What each line starts with (`pointLines`: "<run name>: ").
    private let prefix: String
    private var lastDraw = Date.distantPast

    package init(quiet: Bool) {
        if quiet {
            mode = .quiet
        } else {
            mode = isatty(STDERR_FILENO) != 0 ? .live : .lines
        }
        prefix = ""
    }

    package init(mode: Mode, prefix: String = "") {
        self.mode = mode
        self.prefix = prefix
    }

    package func message(_ text: String) {
        guard mode != .quiet, mode != .pointLines else { return }
        write(text + "\n")
    }

    /// A line that matters even with --quiet (resuming, starting over), on standard error.
    package func note(_ text: String) {
        write(prefix + text + "\n")
    }

    /// Called after each batch. Redraws the bar at most 10 times a second.
    package func batch(epoch: Int, done: Int, total: Int, loss: Double, targetsPerSecond: Double, elapsed: Double) {
        guard mode == .live else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        write(String(format: "\r\u{1B}[2Kepoch %3d [%@] %d/%d loss %.4f  %.0f targets/s  eta %.1fs",
                     epoch, bar, done, total, loss, targetsPerSecond, remaining))
    }

    /// Called once per epoch with the summary line.
    package func epoch(_ summary: String) {
        switch mode {
        case .quiet: return
        case .live: write("\r\u{1B}[2K" + summary + "\n")
        case .lines: write(summary + "\n")
        case .pointLines: write(prefix + summary + "\n")
        }
    }

    /// One write per line: a line up to PIPE_BUF bytes is never split by another process's.
    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
