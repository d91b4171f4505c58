// A preprocessed interaction log: one chronological item sequence per user, with dense
// ids (items 1...numItems, 0 is padding), plus the statistics and provenance the report shows.

public struct InteractionData: Sendable {
    package var numUsers: Int
    public var numItems: Int
    /// [numUsers][events] dense item ids in 1...numItems, chronological per user.
    package var sequences: [[Int32]]
    /// [numUsers][events] rating of each event (1 when the source has no ratings).
    package var ratings: [[Float]]
    /// [numUsers][events] timestamp of each event (row order when the source has none).
    package var timestamps: [[Int64]]
    /// Raw item id of each dense item id; index 0 is "<pad>".
    package var rawItemIds: [String]
    /// Raw user id of each dense user index (0-based).
    package var rawUserIds: [String]
    package var stats: DatasetStats
    package var source: DataSourceInfo

    package init(numUsers: Int, numItems: Int, sequences: [[Int32]], ratings: [[Float]], timestamps: [[Int64]],
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
    package static let paddingRawId = "<pad>"
}

/// min / median / mean / max of a list of lengths.
package struct LengthSummary: Sendable, Equatable, Codable {
    package var min: Int
    package var median: Double
    package var mean: Double
    package var max: Int

    package init(min: Int, median: Double, mean: Double, max: Int) {
        self.min = min
        self.median = median
        self.mean = mean
        self.max = max
    }

    /// All zero for an empty list.
    package init(lengths: [Int]) {
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
package struct FilterRemovals: Sendable, Equatable, Codable {
    /// Events with rating < `rating_threshold`.
    package var ratingThreshold: Int = 0
    /// Repeated (user, item) events dropped by `duplicates: first|last`.
    package var duplicates: Int = 0
    /// Events of users with fewer than `min_user_interactions` (summed over k-core rounds).
    package var minUserInteractions: Int = 0
    /// Events of items with fewer than `min_item_interactions` (summed over k-core rounds).
    package var minItemInteractions: Int = 0

    package init() {}

    package var total: Int { ratingThreshold + duplicates + minUserInteractions + minItemInteractions }

    /// Removals keyed by the config key of each filter (the report's `dataset.removed`).
    package var byFilter: [String: Int] {
        ["rating_threshold": ratingThreshold, "duplicates": duplicates,
         "min_user_interactions": minUserInteractions, "min_item_interactions": minItemInteractions]
    }
}

package struct DatasetStats: Sendable, Equatable, Codable {
    package var users: Int
    package var items: Int
    package var interactions: Int
    /// interactions / (users * items).
    package var density: Double
    /// Events per user after preprocessing.
    package var sequenceLength: LengthSummary
    /// Rows read from the source (or generated) before any filter.
    package var rawInteractions: Int
    package var removed: FilterRemovals
    /// Rounds the k-core filter took to reach its fixed point (0 when it removed nothing).
    package var kCoreRounds: Int

    package init(users: Int, items: Int, interactions: Int, density: Double, sequenceLength: LengthSummary,
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
package struct DataSourceInfo: Sendable, Equatable, Codable {
    package enum Kind: String, Sendable, Codable {
        case builtin, file, synthetic
    }

    package var kind: Kind
    /// Built-in name, the file name, or "synthetic".
    package var name: String
    /// The file that was read (absolute or as resolved); nil for synthetic data.
    package var path: String?
    /// Format the file was parsed as.
    package var format: String?
    /// SHA-256 (hex) of the file's bytes; nil for synthetic data.
    package var sha256: String?
    /// How a built-in dataset was obtained this run: "cache", a download URL, or "pypi:recbole==1.2.1".
    package var acquiredFrom: String?
    /// The generator's parameters, for synthetic data.
    package var generator: SyntheticParameters?

    package init(kind: Kind, name: String, path: String? = nil, format: String? = nil, sha256: String? = nil,
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
