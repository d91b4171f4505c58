// What one evaluation pass produces: averaged metrics plus the per-case values behind them.

public struct EvaluationResult: Sendable, Codable, Equatable {
    /// Metric name (`ndcg@10`) -> mean over the evaluated cases. `coverage@k` is a corpus-level
    /// value (share of the catalogue), not a mean.
    package var metrics: [String: Double]
    /// True when candidates were sampled negatives instead of the whole catalogue.
    package var sampled: Bool
    /// `all`, or `sampled-<count>-<strategy>` (e.g. `sampled-100-uniform`).
    package var candidates: String
    /// Metric name -> value per case, in case order (NaN for a case that was not scored or
    /// has no targets). Coverage has no per-case value and is absent here.
    package var perUser: [String: [Float]]
    /// Dense user index per case, in case order.
    package var users: [Int32]
    /// Number of cases the means are taken over (scored and with at least one target).
    package var evaluatedCases: Int

    package init(metrics: [String: Double], sampled: Bool, candidates: String,
                perUser: [String: [Float]], users: [Int32], evaluatedCases: Int) {
        self.metrics = metrics
        self.sampled = sampled
        self.candidates = candidates
        self.perUser = perUser
        self.users = users
        self.evaluatedCases = evaluatedCases
    }

    enum CodingKeys: String, CodingKey {
        case metrics, sampled, candidates, users
        case perUser = "per_user"
        case evaluatedCases = "evaluated_cases"
    }
}

extension Candidates {
    /// The label written into reports: `all` or `sampled-<count>-<strategy>`.
    public var label: String {
        switch self {
        case .all: return "all"
        case .sampled(let count, let strategy): return "sampled-\(count)-\(strategy.rawValue)"
        }
    }

    public var isSampled: Bool {
        if case .sampled = self { return true }
        return false
    }
}
