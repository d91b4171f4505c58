// Final metrics of a split (validation or test), marked with how candidates were formed.

public struct MetricsReport: Sendable, Equatable, Codable {
    /// Metric name (`ndcg@10`, `rmse`) -> value.
    public var metrics: [String: Double]
    /// True when ranked against sampled negatives instead of the whole catalogue.
    public var sampled: Bool
    /// `all` or `sampled-<count>-<strategy>`; `rating` for the rating task.
    public var candidates: String
    /// Number of cases averaged.
    public var cases: Int?
    /// Per-user sidecar file (relative to the report), and the metric it holds.
    public var perUserFile: String?
    public var perUserMetric: String?

    public init(metrics: [String: Double], sampled: Bool, candidates: String, cases: Int? = nil,
                perUserFile: String? = nil, perUserMetric: String? = nil) {
        self.metrics = metrics
        self.sampled = sampled
        self.candidates = candidates
        self.cases = cases
        self.perUserFile = perUserFile
        self.perUserMetric = perUserMetric
    }

    /// The report form of an evaluation pass.
    public init(_ result: EvaluationResult) {
        self.init(metrics: result.metrics, sampled: result.sampled, candidates: result.candidates,
                  cases: result.evaluatedCases)
    }

    enum CodingKeys: String, CodingKey {
        case metrics, sampled, candidates, cases
        case perUserFile = "per_user_file"
        case perUserMetric = "per_user_metric"
    }
}

public struct TimingReport: Sendable, Equatable, Codable {
    /// Whole run, from start to report.
    public var totalSeconds: Double
    public var dataSeconds: Double?
    public var trainingSeconds: Double?
    /// Validation and test passes.
    public var evaluationSeconds: Double?
    /// Training targets per second over all epochs.
    public var targetsPerSecond: Double?

    public init(totalSeconds: Double, dataSeconds: Double? = nil, trainingSeconds: Double? = nil,
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
