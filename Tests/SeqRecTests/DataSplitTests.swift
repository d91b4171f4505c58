// Splits: leave-one-out, user-ratio, temporal; no target ever leaks into its own input.

import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Suite struct DataSplitTests {
    private func spec(_ method: SplitMethod, maxLength: Int = 3) -> SplitSpec {
        var spec = SplitSpec()
        spec.method = method
        spec.maxLength = maxLength
        return spec
    }

    /// Random per-user sequences of 1...30 events with unique items per user position.
    private func randomData(seed: UInt64, users: Int = 40) -> InteractionData {
        var rng = SeededGenerator(seed: seed)
        var sequences: [[Int32]] = [], timestamps: [[Int64]] = []
        for _ in 0..<users {
            let length = 1 + rng.nextInt(below: 30)
            sequences.append((0..<length).map { _ in Int32(1 + rng.nextInt(below: 50)) })
            var time = Int64(rng.nextInt(below: 1000))
            timestamps.append((0..<length).map { _ in
                time += Int64(rng.nextInt(below: 50))  // non-decreasing, with ties
                return time
            })
        }
        return DataFixtures.data(sequences, timestamps: timestamps)
    }

    @Test func leaveOneOut() throws {
        let data = DataFixtures.data([[1, 2, 3, 4, 5], [6, 7], [8, 9, 10]])
        let split = try Splitter.split(data, spec: spec(.leaveOneOut))
        #expect(split.train == [[1, 2, 3], [6, 7], [8]])
        #expect(split.trainRatings == [data.ratings[0].prefix(3).map { $0 }, data.ratings[1], [data.ratings[2][0]]])
        #expect(split.validation == [
            EvaluationCase(user: 0, history: [1, 2, 3], targets: [4], targetRatings: [data.ratings[0][3]]),
            EvaluationCase(user: 2, history: [8], targets: [9], targetRatings: [data.ratings[2][1]]),
        ])
        #expect(split.test == [
            EvaluationCase(user: 0, history: [1, 2, 3, 4], targets: [5], targetRatings: [data.ratings[0][4]]),
            EvaluationCase(user: 2, history: [8, 9], targets: [10], targetRatings: [data.ratings[2][2]]),
        ])
        #expect(split.stats == SplitStats(
            method: "leave-one-out", trainUsers: 3, trainInteractions: 6, trainTargets: 3, validationCases: 2,
            validationTargets: 2, testCases: 2, testTargets: 2, trainingOnlyUsers: 1, casesWithoutHistory: 0,
            cutTimestamps: []))
    }

    @Test func userRatioCountsPerUser() throws {
        var ratioSpec = spec(.userRatio)
        ratioSpec.ratios = [0.6, 0.2, 0.2]
        let data = DataFixtures.data([Array(1...20), Array(1...3), Array(1...2), Array(1...10)])
        let split = try Splitter.split(data, spec: ratioSpec)
        #expect(split.train.map(\.count) == [12, 1, 2, 6])
        #expect(split.validation.map(\.targets) == [Array(13...16), [2], [7, 8]])
        #expect(split.test.map(\.targets) == [Array(17...20), [3], [9, 10]])
        #expect(split.test.map(\.history) == [Array(1...16), [1, 2], Array(1...8)])
        #expect(split.stats.trainingOnlyUsers == 1 && split.stats.testTargets == 7)
    }

    @Test func temporalCutsAreGlobalAndNeverUseTheFuture() throws {
        let data = randomData(seed: 9, users: 60)
        let split = try Splitter.split(data, spec: spec(.temporal))
        let cuts = split.stats.cutTimestamps
        #expect(cuts.count == 2 && cuts[0] <= cuts[1])
        var latestTrainingInput = Int64.min
        for user in 0..<data.numUsers {
            let trainTimes = data.timestamps[user].prefix(split.train[user].count)
            #expect(trainTimes.allSatisfy { $0 < cuts[0] })  // no training input later than the cut
            latestTrainingInput = max(latestTrainingInput, trainTimes.max() ?? .min)
        }
        for (cases, range) in [(split.validation, cuts[0]..<cuts[1]), (split.test, cuts[1]..<Int64.max)] {
            for evaluationCase in cases {
                let user = Int(evaluationCase.user)
                let start = evaluationCase.history.count
                let targetTimes = data.timestamps[user][start..<(start + evaluationCase.targets.count)]
                #expect(targetTimes.allSatisfy { range.contains($0) })
                #expect(data.timestamps[user][..<start].allSatisfy { $0 < range.lowerBound })
            }
        }
        for testCase in split.test {
            let start = testCase.history.count
            #expect(data.timestamps[Int(testCase.user)][start] > latestTrainingInput)
        }
        let totalEvents = data.sequences.reduce(0) { $0 + $1.count }
        let assigned = split.stats.trainInteractions + split.stats.validationTargets + split.stats.testTargets
        #expect(assigned <= totalEvents)
    }

    @Test(arguments: [SplitMethod.leaveOneOut, .userRatio, .temporal])
    func noTargetLeaksIntoItsOwnInput(method: SplitMethod) throws {
        let data = randomData(seed: 3)
        let split = try Splitter.split(data, spec: spec(method))
        for user in 0..<data.numUsers {
            // Training holds a chronological prefix only.
            #expect(Array(data.sequences[user].prefix(split.train[user].count)) == split.train[user])
        }
        for cases in [split.validation, split.test] {
            for evaluationCase in cases {
                let sequence = data.sequences[Int(evaluationCase.user)]
                let start = evaluationCase.history.count
                #expect(start >= split.train[Int(evaluationCase.user)].count)
                #expect(Array(sequence[..<start]) == evaluationCase.history)
                #expect(Array(sequence[start..<(start + evaluationCase.targets.count)]) == evaluationCase.targets)
            }
            // The evaluation row is the history's last max_length items; the target is scored
            // after them, at its own position, never inside the row.
            let maxLength = 3
            let batches = EvaluationBatcher.batches(cases, maxLength: maxLength, batchSize: 7)
            var caseIndex = 0
            for batch in batches {
                for row in 0..<batch.batchSize {
                    let evaluationCase = cases[caseIndex]
                    let inputs = Array(batch.inputs[(row * batch.steps)..<((row + 1) * batch.steps)])
                    let length = min(maxLength, evaluationCase.history.count)
                    #expect(Array(inputs.prefix(length)) == Array(evaluationCase.history.suffix(length)))
                    #expect(batch.targets[row * batch.steps + length - 1] == evaluationCase.targets[0])
                    caseIndex += 1
                }
            }
            #expect(caseIndex == cases.count)
        }
    }

    @Test(arguments: [SplitMethod.leaveOneOut, .userRatio, .temporal])
    func trainingBatchesNeverContainEvaluationEvents(method: SplitMethod) throws {
        // Items encode (user, position), so every item in a batch names its event.
        let base = randomData(seed: 4)
        let encoded = base.sequences.enumerated().map { user, sequence in
            sequence.indices.map { Int32(user * 100 + $0 + 1) }
        }
        let data = DataFixtures.data(encoded, timestamps: base.timestamps)
        let split = try Splitter.split(data, spec: spec(method))
        var firstHeldOut = split.train.map(\.count)  // per user: position of the first non-training event
        for evaluationCase in split.validation + split.test {
            let user = Int(evaluationCase.user)
            firstHeldOut[user] = min(firstHeldOut[user], evaluationCase.history.count)
            #expect(evaluationCase.history.count >= split.train[user].count)
        }
        let batcher = TrainingBatcher(sequences: split.train, ratings: split.trainRatings, maxLength: 3, batchSize: 5)
        var rng = SeededGenerator(seed: 2)
        for batch in batcher.epoch(rng: &rng) {
            for (index, item) in zip(batch.inputs, batch.targets).flatMap({ [$0.0, $0.1] }).enumerated() where item != 0 {
                let user = Int(batch.users[index / 2 / batch.steps])
                let position = Int(item) - user * 100 - 1
                #expect(position >= 0 && position < firstHeldOut[user])
            }
        }
    }

    @Test func splittingIsDeterministic() throws {
        for method in SplitMethod.allCases {
            let first = try Splitter.split(randomData(seed: 5), spec: spec(method))
            let second = try Splitter.split(randomData(seed: 5), spec: spec(method))
            #expect(first.train == second.train && first.validation == second.validation && first.test == second.test)
            #expect(first.stats == second.stats)
        }
    }

    @Test func invalidSplitSettings() {
        var ratios = spec(.userRatio)
        ratios.ratios = [0.5, 0.5]
        #expect(DataFixtures.errorText { _ = try Splitter.split(randomData(seed: 1), spec: ratios) }
            == "invalid split: user-ratio needs 3 non-negative ratios [train, validation, test] with train > 0, found [0.5, 0.5]")
        #expect(DataFixtures.errorText { _ = try Splitter.split(DataFixtures.data([[1, 2]]), spec: spec(.leaveOneOut)) }
            == "invalid split: leave-one-out produced no validation cases")
    }
}
