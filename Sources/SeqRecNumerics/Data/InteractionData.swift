// A preprocessed interaction log: one chronological item sequence per user, with dense
// ids (items 1...numItems, 0 is padding), plus the statistics and provenance the report shows.

public struct InteractionData: Sendable {
    public var numUsers: Int
    public var numItems: Int
    /// [numUsers][events] dense item ids in 1...numItems, chronological per user.
    public var sequences: [[Int32]]
    /// [numUsers][events] rating of each event (1 when the source has no ratings).
    public var ratings: [[Float]]
    /// [numUsers][events] timestamp of each event (row order when the source has none).
    public var timestamps: [[Int64]]
    /// Raw item id of each dense item id; index 0 is "<pad>".
    public var rawItemIds: [String]
    /// Raw user id of each dense user index (0-based).
    public var rawUserIds: [String]
    public var stats: DatasetStats
    public var source: DataSourceInfo

    public init(numUsers: Int, numItems: Int, sequences: [[Int32]], ratings: [[Float]], timestamps: [[Int64]],
                rawItemIds: [String], rawUserIds: [String], stats: DatasetStats, source: DataSourceInfo) {
        self.numUsers = numUsers
        self.numItems = numItems
        self.sequences = sequences
        self.ratings = ratings
        self.timestamps = timestamps
        self.rawItemIds = rawItemIds
        self.rawUserIds = rawUserIds
        self.stats = stats
        self.source = source
    }

    /// The padding id's raw name in `rawItemIds[0]`.
    public static let paddingRawId = "<pad>"
}

/// min / median / mean / max of a list of lengths.
public struct LengthSummary: Sendable, Equatable, Codable {
    public var min: Int
    public var median: Double
    public var mean: Double
    public var max: Int

    public init(min: Int, median: Double, mean: Double, max: Int) {
        self.min = min
        self.median = median
        self.mean = mean
        self.max = max
    }

    /// All zero for an empty list.
    public init(lengths: [Int]) {
        guard !lengths.isEmpty else {
            self.init(min: 0, median: 0, mean: 0, max: 0)
            return
        }
        let sorted = lengths.sorted()
        let middle = sorted.count / 2
        let median = sorted.count % 2 == 1
            ? Double(sorted[middle])
            : Double(sorted[middle - 1] + sorted[middle]) / 2
        self.init(min: sorted[0], median: median,
                  mean: Double(sorted.reduce(0, +)) / Double(sorted.count), max: sorted[sorted.count - 1])
    }
}

/// Interactions each preprocessing filter removed, in the order the filters run.
public struct FilterRemovals: Sendable, Equatable, Codable {
    /// Events with rating < `rating_threshold`.
    public var ratingThreshold: Int = 0
    /// Repeated (user, item) events dropped by `duplicates: first|last`.
    public var duplicates: Int = 0
    /// Events of users with fewer than `min_user_interactions` (summed over k-core rounds).
    public var minUserInteractions: Int = 0
    /// Events of items with fewer than `min_item_interactions` (summed over k-core rounds).
    public var minItemInteractions: Int = 0

    public init() {}

    public var total: Int { ratingThreshold + duplicates + minUserInteractions + minItemInteractions }

    /// Removals keyed by the config key of each filter (the report's `dataset.removed`).
    public var byFilter: [String: Int] {
        ["rating_threshold": ratingThreshold, "duplicates": duplicates,
         "min_user_interactions": minUserInteractions, "min_item_interactions": minItemInteractions]
    }
}

public struct DatasetStats: Sendable, Equatable, Codable {
    public var users: Int
    public var items: Int
    public var interactions: Int
    /// interactions / (users * items).
    public var density: Double
    /// Events per user after preprocessing.
    public var sequenceLength: LengthSummary
    /// Rows read from the source (or generated) before any filter.
    public var rawInteractions: Int
    public var removed: FilterRemovals
    /// Rounds the k-core filter took to reach its fixed point (0 when it removed nothing).
    public var kCoreRounds: Int

    public init(users: Int, items: Int, interactions: Int, density: Double, sequenceLength: LengthSummary,
                rawInteractions: Int, removed: FilterRemovals, kCoreRounds: Int) {
        self.users = users
        self.items = items
        self.interactions = interactions
        self.density = density
        self.sequenceLength = sequenceLength
        self.rawInteractions = rawInteractions
        self.removed = removed
        self.kCoreRounds = kCoreRounds
    }

    /// Counts, density and lengths of `sequences`; the filter fields are the caller's.
    init(sequences: [[Int32]], numItems: Int, rawInteractions: Int, removed: FilterRemovals, kCoreRounds: Int) {
        let lengths = sequences.map(\.count)
        let interactions = lengths.reduce(0, +)
        let cells = Double(sequences.count) * Double(numItems)
        self.init(users: sequences.count, items: numItems, interactions: interactions,
                  density: cells > 0 ? Double(interactions) / cells : 0,
                  sequenceLength: LengthSummary(lengths: lengths), rawInteractions: rawInteractions,
                  removed: removed, kCoreRounds: kCoreRounds)
    }
}

/// Where the data came from, for the report.
public struct DataSourceInfo: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case builtin, file, synthetic
    }

    public var kind: Kind
    /// Built-in name, the file name, or "synthetic".
    public var name: String
    /// The file that was read (absolute or as resolved); nil for synthetic data.
    public var path: String?
    /// Format the file was parsed as.
    public var format: String?
    /// SHA-256 (hex) of the file's bytes; nil for synthetic data.
    public var sha256: String?
    /// How a built-in dataset was obtained this run: "cache", a download URL, or "pypi:recbole==1.2.1".
    public var acquiredFrom: String?
    /// The generator's parameters, for synthetic data.
    public var generator: SyntheticParameters?

    public init(kind: Kind, name: String, path: String? = nil, format: String? = nil, sha256: String? = nil,
                acquiredFrom: String? = nil, generator: SyntheticParameters? = nil) {
        self.kind = kind
        self.name = name
        self.path = path
        self.format = format
        self.sha256 = sha256
        self.acquiredFrom = acquiredFrom
        self.generator = generator
    }
}
