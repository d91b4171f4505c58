// Final metrics of a split (validation or test), marked with how candidates were formed.

public struct MetricsReport: Sendable, Equatable, Codable {
    /// Metric name (`ndcg@10`, `rmse`) -> value.
    public var metrics: [String: Double]
    /// True when ranked against sampled negatives instead of the whole catalogue.
    package var sampled: Bool
    /// `all` or `sampled-<count>-<strategy>`; `rating` for the rating task.
    public var candidates: String
    /// Number of cases averaged.
    package var cases: Int?
    /// Per-user sidecar file (relative to the report), and the metric it holds.
    package var perUserFile: String?
    package var perUserMetric: String?

    package init(metrics: [String: Double], sampled: Bool, candidates: String, cases: Int? = nil,
                perUserFile: String? = nil, perUserMetric: String? = nil) {
        self.metrics = metrics
        self.sampled = sampled
        self.candidates = candidates
        self.cases = cases
        self.perUserFile = perUserFile
        self.perUserMetric = perUserMetric
    }

    /// The report form of an evaluation pass.
    package init(_ result: EvaluationResult) {
        self.init(metrics: result.metrics, sampled: result.sampled, candidates: result.candidates,
                  cases: result.evaluatedCases)
    }

    enum CodingKeys: String, CodingKey {
        case metrics, sampled, candidates, cases
        case perUserFile = "per_user_file"
        case perUserMetric = "per_user_metric"
    }
}

package struct TimingReport: Sendable, Equatable, Codable {
    /// Whole run, from start to report.
    package var totalSeconds: Double
    package var dataSeconds: Double?
    package var trainingSeconds: Double?
    /// Validation and test passes.
    package var evaluationSeconds: Double?
    /// Training targets per second over all epochs.
    package var targetsPerSecond: Double?

    package init(totalSeconds: Double, dataSeconds: Double? = nil, trainingSeconds: Double? = nil,
                evaluationSeconds: Double? = nil, targetsPerSecond: Double? = nil) {
        self.totalSeconds = totalSeconds
        self.dataSeconds = dataSeconds
        self.trainingSeconds = trainingSeconds
        self.evaluationSeconds = evaluationSeconds
        self.targetsPerSecond = targetsPerSecond
    }

    enum CodingKeys: String, CodingKey {
        case totalSeconds = "total_seconds"
        case dataSeconds = "data_seconds"
        case trainingSeconds = "training_seconds"
        case evaluationSeconds = "evaluation_seconds"
        case targetsPerSecond = "targets_per_second"
    }
}
