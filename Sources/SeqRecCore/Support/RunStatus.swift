// How a run ended.

public enum RunStatus: String, Sendable, Codable, CaseIterable {
    /// Finished; the test metrics are present.
    case ok
    /// Stopped by an error (the message says which).
    case failed
    /// The loss or a gradient became NaN or infinite; the history up to then is kept.
    case diverged
    /// Stopped by SIGINT or SIGTERM after the current batch.
    case interrupted
}
