// One user to rank for: what they have seen and what they should be recommended next.

/// A ranking evaluation case. The evaluator receives one score row per case, in case order.
public struct RankingCase: Sendable, Equatable {
    /// Dense user index (recorded in the per-user results).
    public var user: Int32
    /// Items the user has interacted with before the targets (1-based item ids). With
    /// `exclude_seen` they are removed from the candidates, except when they are also targets.
    public var history: [Int32]
    /// The held-out items (1-based ids). Duplicates count once. Leave-one-out has exactly one.
    public var targets: [Int32]

    public init(user: Int32, history: [Int32], targets: [Int32]) {
        self.user = user
        self.history = history
        self.targets = targets
    }
}
