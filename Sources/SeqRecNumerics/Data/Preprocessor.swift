// Turns raw events into InteractionData. The filters run in this order, each counted:
//   1. rating threshold: keep events with rating >= threshold;
//   2. per-user chronological order: stable sort by timestamp, ties keep file order;
//   3. duplicate (user, item) events: keep all, or only the chronologically first / last;
//   4. k-core: drop users with < min_user_interactions events, then items with
//      < min_item_interactions events, repeated until neither removes anything;
//   5. dense ids in the raw ids' natural order (numeric if every id is an integer, else
//      lexicographic): users 0..<numUsers, items 1...numItems (0 is padding).

/// What the filters need to know; built from a DatasetSpec.
package struct PreprocessingPolicy: Sendable, Equatable {
    package var ratingThreshold: Double?
    package var duplicates: DuplicatePolicy
    package var minUserInteractions: Int
    package var minItemInteractions: Int

    package init(ratingThreshold: Double? = nil, duplicates: DuplicatePolicy = .keep,
         minUserInteractions: Int = 1, minItemInteractions: Int = 1) {
        self.ratingThreshold = ratingThreshold
        self.duplicates = duplicates
        self.minUserInteractions = minUserInteractions
        self.minItemInteractions = minItemInteractions
    }

    package init(_ spec: DatasetSpec) {
        self.init(ratingThreshold: spec.ratingThreshold, duplicates: spec.duplicates,
                  minUserInteractions: spec.minUserInteractions, minItemInteractions: spec.minItemInteractions)
    }
}

package enum Preprocessor {
    /// One event during preprocessing: item as an index into the raw item table.
    private struct Event {
        var item: Int
        var rating: Float
        var timestamp: Int64
    }

    package static func run(_ log: RawInteractionLog, policy: PreprocessingPolicy, source: DataSourceInfo) throws -> InteractionData {
        var removed = FilterRemovals()

        // Raw string ids -> provisional indices in first-appearance order.
        var userIndex: [String: Int] = [:]
        var itemIndex: [String: Int] = [:]
        var rawUsers: [String] = []
        var rawItems: [String] = []
        var perUser: [[Event]] = []

        // 1. Rating threshold (file order is kept within each user's list).
        for event in log.events {
            if let threshold = policy.ratingThreshold, Double(event.rating) < threshold {
                removed.ratingThreshold += 1
                continue
            }
            let user = provisionalIndex(event.user, in: &userIndex, names: &rawUsers)
            let item = provisionalIndex(event.item, in: &itemIndex, names: &rawItems)
            if user == perUser.count { perUser.append([]) }
            perUser[user].append(Event(item: item, rating: event.rating, timestamp: event.timestamp))
        }
        if let threshold = policy.ratingThreshold, perUser.isEmpty {
            throw DataError.emptyDataset(stage: "after the rating_threshold filter (keeping rating >= \(threshold))")
        }

        // 2. Chronological order; the file position breaks ties, which makes the sort stable.
        for user in perUser.indices {
            perUser[user] = perUser[user].enumerated()
                .sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
                .map(\.element)
        }

        // 3. Duplicates.
        if policy.duplicates != .keep {
            for user in perUser.indices {
                let before = perUser[user].count
                perUser[user] = deduplicated(perUser[user], keepLast: policy.duplicates == .last)
                removed.duplicates += before - perUser[user].count
            }
        }

        // 4. k-core to a fixed point: a round removes sparse users, then sparse items.
        var alive = [Bool](repeating: true, count: perUser.count)
        var rounds = 0
        while true {
            var removedThisRound = false
            for user in perUser.indices where alive[user] && perUser[user].count < policy.minUserInteractions {
                removed.minUserInteractions += perUser[user].count
                perUser[user] = []
                alive[user] = false
                removedThisRound = true
            }
            if !alive.contains(true) {
                throw DataError.emptyDataset(stage: "after the min_user_interactions filter "
                    + "(min_user_interactions: \(policy.minUserInteractions), k-core round \(rounds + 1))")
            }
            var itemCounts = [Int](repeating: 0, count: rawItems.count)
            for events in perUser { for event in events { itemCounts[event.item] += 1 } }
            if itemCounts.contains(where: { $0 > 0 && $0 < policy.minItemInteractions }) {
                for user in perUser.indices where alive[user] {
                    let before = perUser[user].count
                    perUser[user].removeAll { itemCounts[$0.item] < policy.minItemInteractions }
                    removed.minItemInteractions += before - perUser[user].count
                    if perUser[user].isEmpty { alive[user] = false }
                }
                removedThisRound = true
                if !alive.contains(true) {
                    throw DataError.emptyDataset(stage: "after the min_item_interactions filter "
                        + "(min_item_interactions: \(policy.minItemInteractions), k-core round \(rounds + 1))")
                }
            }
            if !removedThisRound { break }
            rounds += 1
        }

        // 5. Dense ids in natural order.
        let keptUsers = naturalOrder(perUser.indices.filter { alive[$0] }, names: rawUsers)
        var itemUsed = [Bool](repeating: false, count: rawItems.count)
        for user in keptUsers { for event in perUser[user] { itemUsed[event.item] = true } }
        let keptItems = naturalOrder(rawItems.indices.filter { itemUsed[$0] }, names: rawItems)
        var denseItem = [Int32](repeating: 0, count: rawItems.count)
        for (position, item) in keptItems.enumerated() { denseItem[item] = Int32(position + 1) }

        let sequences = keptUsers.map { perUser[$0].map { denseItem[$0.item] } }
        let stats = DatasetStats(sequences: sequences, numItems: keptItems.count, rawInteractions: log.events.count,
                                 removed: removed, kCoreRounds: rounds)
        return InteractionData(
            numUsers: keptUsers.count, numItems: keptItems.count, sequences: sequences,
            ratings: keptUsers.map { perUser[$0].map(\.rating) },
            timestamps: keptUsers.map { perUser[$0].map(\.timestamp) },
            rawItemIds: [InteractionData.paddingRawId] + keptItems.map { rawItems[$0] },
            rawUserIds: keptUsers.map { rawUsers[$0] },
            stats: stats, source: source)
    }

    private static func provisionalIndex(_ name: String, in table: inout [String: Int], names: inout [String]) -> Int {
        if let known = table[name] { return known }
        table[name] = names.count
        names.append(name)
        return names.count - 1
    }

    /// One event per item: the chronologically first, or the last (at the last one's position).
    private static func deduplicated(_ events: [Event], keepLast: Bool) -> [Event] {
        var seen = Set<Int>()
        if keepLast {
            var kept: [Event] = []
            for event in events.reversed() where seen.insert(event.item).inserted { kept.append(event) }
            return kept.reversed()
        }
        return events.filter { seen.insert($0.item).inserted }
    }

    /// `indices` sorted by their names: numerically if every name is an integer, else as strings.
    static func naturalOrder(_ indices: [Int], names: [String]) -> [Int] {
        let numbers = indices.map { Int64(names[$0]) }
        if numbers.allSatisfy({ $0 != nil }) {
            return zip(indices, numbers).sorted { ($0.1 ?? 0, $0.0) < ($1.1 ?? 0, $1.0) }.map(\.0)
        }
        return indices.sorted { (names[$0], $0) < (names[$1], $1) }
    }
}
