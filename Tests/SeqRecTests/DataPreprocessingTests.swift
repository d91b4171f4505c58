// Filters: rating threshold, duplicates, iterated k-core to a fixed point; statistics.

import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Suite struct DataPreprocessingTests {
    private let source = DataSourceInfo(kind: .file, name: "mem")

    @Test func kCoreCascadesToAFixedPoint() throws {
        // min 2 / 2. Round 1: u4 (1 event) goes; then items c, g, h (1 event each) go,
        // leaving u3, u5, u6 with 1 event. Round 2 removes them; round 3 removes nothing.
        let log = DataFixtures.rawLog([
            ("u1", "a"), ("u1", "b"), ("u2", "a"), ("u2", "b"), ("u3", "c"), ("u3", "a"),
            ("u4", "d"), ("u5", "f"), ("u5", "g"), ("u6", "f"), ("u6", "h"),
        ])
        let policy = PreprocessingPolicy(minUserInteractions: 2, minItemInteractions: 2)
        let data = try Preprocessor.run(log, policy: policy, source: source)
        #expect(data.rawUserIds == ["u1", "u2"])
        #expect(data.rawItemIds == ["<pad>", "a", "b"])
        #expect(data.sequences == [[1, 2], [1, 2]])
        #expect(data.stats.removed.minUserInteractions == 4)
        #expect(data.stats.removed.minItemInteractions == 3)
        #expect(data.stats.kCoreRounds == 2)
        #expect(data.stats.removed.byFilter == ["rating_threshold": 0, "duplicates": 0,
                                                "min_user_interactions": 4, "min_item_interactions": 3])
        #expect(data.stats.rawInteractions == 11 && data.stats.interactions == 4)
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func kCoreResultSatisfiesBothMinimaOnRandomData(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var pairs: [(String, String)] = []
        for _ in 0..<1200 { pairs.append(("u\(rng.nextInt(below: 80))", "i\(rng.nextInt(below: 60))")) }
        let policy = PreprocessingPolicy(minUserInteractions: 10, minItemInteractions: 14)
        let data = try Preprocessor.run(DataFixtures.rawLog(pairs), policy: policy, source: source)
        var itemCounts = [Int](repeating: 0, count: data.numItems + 1)
        for sequence in data.sequences {
            #expect(sequence.count >= 10)
            for item in sequence { itemCounts[Int(item)] += 1 }
        }
        #expect(itemCounts.dropFirst().allSatisfy { $0 >= 14 })
        #expect(data.stats.interactions + data.stats.removed.total == 1200)
        #expect(data.stats.removed.minUserInteractions > 0 && data.stats.removed.minItemInteractions > 0)
        // Fixed point: filtering the result again removes nothing.
        let again = DataFixtures.rawLog(zip(data.sequences.indices, data.sequences).flatMap { user, items in
            items.map { ("u\(user)", "i\($0)") }
        })
        let refiltered = try Preprocessor.run(again, policy: policy, source: source)
        #expect(refiltered.stats.removed.total == 0 && refiltered.stats.kCoreRounds == 0)
    }

    @Test func duplicatePolicies() throws {
        // One user: a b a c b (timestamps = row order).
        let log = DataFixtures.rawLog([("u", "a"), ("u", "b"), ("u", "a"), ("u", "c"), ("u", "b")])
        let keep = try Preprocessor.run(log, policy: PreprocessingPolicy(duplicates: .keep), source: source)
        let first = try Preprocessor.run(log, policy: PreprocessingPolicy(duplicates: .first), source: source)
        let last = try Preprocessor.run(log, policy: PreprocessingPolicy(duplicates: .last), source: source)
        #expect(keep.sequences == [[1, 2, 1, 3, 2]] && keep.stats.removed.duplicates == 0)
        #expect(first.sequences == [[1, 2, 3]] && first.timestamps == [[0, 1, 3]] && first.stats.removed.duplicates == 2)
        #expect(last.sequences == [[1, 3, 2]] && last.timestamps == [[2, 3, 4]] && last.stats.removed.duplicates == 2)
    }

    @Test func duplicatesAreJudgedChronologicallyNotInFileOrder() throws {
        // File order a@5, a@1: the chronologically first is the second row.
        var log = DataFixtures.rawLog([("u", "a"), ("u", "b"), ("u", "a")], ratings: [1, 2, 3])
        log.events[0].timestamp = 5
        log.events[1].timestamp = 3
        log.events[2].timestamp = 1
        let first = try Preprocessor.run(log, policy: PreprocessingPolicy(duplicates: .first), source: source)
        #expect(first.sequences == [[1, 2]] && first.ratings == [[3, 2]])
    }

    @Test func filtersThatEmptyTheDatasetAreNamed() {
        let log = DataFixtures.rawLog([("u1", "a"), ("u2", "b")], ratings: [2, 3])
        #expect(DataFixtures.errorText {
            _ = try Preprocessor.run(log, policy: PreprocessingPolicy(ratingThreshold: 6), source: source)
        } == "dataset is empty after the rating_threshold filter (keeping rating >= 6.0)")
        #expect(DataFixtures.errorText {
            _ = try Preprocessor.run(log, policy: PreprocessingPolicy(minUserInteractions: 5), source: source)
        } == "dataset is empty after the min_user_interactions filter (min_user_interactions: 5, k-core round 1)")
        let twoUsers = DataFixtures.rawLog([("u1", "a"), ("u1", "b"), ("u2", "c"), ("u2", "d")])
        #expect(DataFixtures.errorText {
            _ = try Preprocessor.run(twoUsers, policy: PreprocessingPolicy(minItemInteractions: 2), source: source)
        } == "dataset is empty after the min_item_interactions filter (min_item_interactions: 2, k-core round 1)")
    }

    @Test func statistics() throws {
        let log = DataFixtures.rawLog([("u1", "a"), ("u1", "b"), ("u1", "c"), ("u2", "a"), ("u3", "b"), ("u3", "a"),
                                       ("u4", "a"), ("u4", "b"), ("u4", "c"), ("u4", "a")])
        let data = try Preprocessor.run(log, policy: PreprocessingPolicy(), source: source)
        let stats = data.stats
        #expect(stats.users == 4 && stats.items == 3 && stats.interactions == 10)
        #expect(stats.density == 10.0 / 12.0)
        #expect(stats.sequenceLength == LengthSummary(min: 1, median: 2.5, mean: 2.5, max: 4))
        #expect(LengthSummary(lengths: [5, 1, 3]) == LengthSummary(min: 1, median: 3, mean: 3, max: 5))
    }
}
