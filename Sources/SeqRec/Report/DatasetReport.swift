// The dataset section of a report: where the data came from and what survived filtering.

/// Per-user sequence length min / median / mean / max: the data layer's summary, recorded
/// as it is (one definition for the statistic and its JSON shape).
public typealias SequenceLengthStats = LengthSummary

public struct DatasetReport: Sendable, Equatable, Codable {
    /// Built-in name (`movielens-100k`), `file` or `synthetic`.
    public var source: String
    /// File that was read (a built-in dataset's cached file), nil for synthetic data.
    public var path: String?
    /// SHA-256 (hex) of that file.
    public var sha256: String?
    /// Counts after filtering.
    public var users: Int?
    public var items: Int?
    public var interactions: Int?
    /// interactions / (users * items).
    public var density: Double?
    public var sequenceLength: SequenceLengthStats?
    /// Filter name (e.g. `min_user_interactions`, `rating_threshold`, `duplicates`) -> number of
    /// interactions it removed, in the order the filters ran (keys sort alphabetically in JSON).
    public var removed: [String: Int]?
    /// Generator parameters of synthetic data.
    public var synthetic: JSONValue?

    public init(source: String, path: String? = nil, sha256: String? = nil, users: Int? = nil, items: Int? = nil,
                interactions: Int? = nil, density: Double? = nil, sequenceLength: SequenceLengthStats? = nil,
                removed: [String: Int]? = nil, synthetic: JSONValue? = nil) {
        self.source = source
        self.path = path
        self.sha256 = sha256
        self.users = users
        self.items = items
        self.interactions = interactions
        self.density = density
        self.sequenceLength = sequenceLength
        self.removed = removed
        self.synthetic = synthetic
    }

    enum CodingKeys: String, CodingKey {
        case source, path, sha256, users, items, interactions, density, removed, synthetic
        case sequenceLength = "sequence_length"
    }
}

public struct SplitReport: Sendable, Equatable, Codable {
    /// `leave-one-out`, `user-ratio` or `temporal`.
    public var method: String
    public var maxLength: Int?
    /// Target positions trained on.
    public var trainTargets: Int?
    /// Training windows (rows of `max_length`).
    public var trainSequences: Int?
    /// Evaluation cases (users) in validation and test.
    public var validationCases: Int?
    public var testCases: Int?
    /// Users who appear in training but have no validation/test case (e.g. temporal split).
    public var trainingOnlyUsers: Int?

    public init(method: String, maxLength: Int? = nil, trainTargets: Int? = nil, trainSequences: Int? = nil,
                validationCases: Int? = nil, testCases: Int? = nil, trainingOnlyUsers: Int? = nil) {
        self.method = method
        self.maxLength = maxLength
        self.trainTargets = trainTargets
        self.trainSequences = trainSequences
        self.validationCases = validationCases
        self.testCases = testCases
        self.trainingOnlyUsers = trainingOnlyUsers
    }

    enum CodingKeys: String, CodingKey {
        case method
        case maxLength = "max_length"
        case trainTargets = "train_targets"
        case trainSequences = "train_sequences"
        case validationCases = "validation_cases"
        case testCases = "test_cases"
        case trainingOnlyUsers = "training_only_users"
    }
}
