// The dataset section of a report: where the data came from and what survived filtering.

/// Per-user sequence length min / median / mean / max: the data layer's summary, recorded
/// as it is (one definition for the statistic and its JSON shape).
package typealias SequenceLengthStats = LengthSummary

package struct DatasetReport: Sendable, Equatable, Codable {
    /// Built-in name (`movielens-100k`), `file` or `synthetic`.
    package var source: String
    /// File that was read (a built-in dataset's cached file), nil for synthetic data.
    package var path: String?
    /// SHA-256 (hex) of that file.
    package var sha256: String?
    /// Counts after filtering.
    package var users: Int?
    package var items: Int?
    package var interactions: Int?
    /// interactions / (users * items).
    package var density: Double?
    package var sequenceLength: SequenceLengthStats?
    /// Filter name (e.g. `min_user_interactions`, `rating_threshold`, `duplicates`) -> number of
    /// interactions it removed, in the order the filters ran (keys sort alphabetically in JSON).
    package var removed: [String: Int]?
    /// Generator parameters of synthetic data.
    package var synthetic: JSONValue?

    package init(source: String, path: String? = nil, sha256: String? = nil, users: Int? = nil, items: Int? = nil,
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

package struct SplitReport: Sendable, Equatable, Codable {
    /// `leave-one-out`, `user-ratio` or `temporal`.
    package var method: String
    package var maxLength: Int?
    /// Target positions trained on.
    package var trainTargets: Int?
    /// Training windows (rows of `max_length`).
    package var trainSequences: Int?
    /// Evaluation cases (users) in validation and test.
    package var validationCases: Int?
    package var testCases: Int?
    /// Users who appear in training but have no validation/test case (e.g. temporal split).
    package var trainingOnlyUsers: Int?

    package init(method: String, maxLength: Int? = nil, trainTargets: Int? = nil, trainSequences: Int? = nil,
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
