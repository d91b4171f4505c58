// The planted long-range generator: reproducible, answers exactly `lag` after their keys.

import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Suite struct DataSyntheticTests {
    private func smallSpec() -> SyntheticSpec {
        var spec = SyntheticSpec()
        spec.users = 200
        spec.items = 60
        spec.length = 30
        spec.lag = 12
        spec.keys = 5
        spec.noise = 0.2
        return spec
    }

    @Test func reproducibleFromTheSeed() throws {
        let first = try SyntheticGenerator.generate(smallSpec(), seed: 42)
        let second = try SyntheticGenerator.generate(smallSpec(), seed: 42)
        let other = try SyntheticGenerator.generate(smallSpec(), seed: 43)
        #expect(first.sequences == second.sequences)
        #expect(first.sequences != other.sequences)
        #expect(first.source.generator?.seed == 42 && first.source.generator?.spec == smallSpec())
    }

    @Test(arguments: [(30, 12), (30, 28), (40, 20), (60, 5), (5, 3)])
    func answersSitExactlyLagAfterTheirKeys(length: Int, lag: Int) throws {
        var spec = smallSpec()
        spec.length = length
        spec.lag = lag
        let data = try SyntheticGenerator.generate(spec, seed: 1)
        let keys = spec.keys
        let query = SyntheticGenerator.queryItem(keys: keys)
        func keyIndex(_ item: Int32) -> Int? { (1...keys).contains(Int(item)) ? Int(item) - 1 : nil }
        func answerIndex(_ item: Int32) -> Int? { (keys + 1...2 * keys).contains(Int(item)) ? Int(item) - keys - 1 : nil }
        let episodes = length / (lag + 2)
        #expect(data.source.generator?.pairsPerUser == 2 * episodes)
        for sequence in data.sequences {
            #expect(sequence.count == length)
            #expect(sequence.allSatisfy { (1...spec.items).contains(Int($0)) })
            var keyCount = 0, answerCount = 0, queryCount = 0
            for (position, item) in sequence.enumerated() {
                if let key = keyIndex(item) {
                    #expect(position + lag < length)
                    if position + lag < length {
                        #expect(sequence[position + lag] == SyntheticGenerator.answerItem(key, keys: keys))
                    }
                    keyCount += 1
                }
                if let answer = answerIndex(item) {
                    #expect(position >= lag && sequence[position - lag] == SyntheticGenerator.keyItem(answer))
                    // Answers come in twos: right after the query, or right after the first answer.
                    let previous = sequence[position - 1]
                    #expect(previous == query || answerIndex(previous) != nil)
                    answerCount += 1
                }
                if item == query {
                    // The query announces the episode's two answers and occurs nowhere else.
                    #expect(position + 2 < length && answerIndex(sequence[position + 1]) != nil
                        && answerIndex(sequence[position + 2]) != nil)
                    queryCount += 1
                }
            }
            #expect(keyCount == 2 * episodes && answerCount == 2 * episodes && queryCount == episodes)
            // The leave-one-out validation and test targets (last two events) are both answers.
            #expect(answerIndex(sequence[length - 1]) != nil && answerIndex(sequence[length - 2]) != nil)
            #expect(sequence[length - 3] == query)
        }
    }

    @Test func keysAndGapsAreRandomAcrossUsers() throws {
        var spec = smallSpec()  // lag 12: episodes of 14 events
        spec.length = 33        // two episodes of 14, 5 gap fillers
        let data = try SyntheticGenerator.generate(spec, seed: 2)
        let keyRange = Int32(1)...Int32(spec.keys)
        let firstKeyPositions = Set(data.sequences.compactMap { $0.firstIndex(where: keyRange.contains) })
        let lastKeys = data.sequences.map { $0[33 - 14] }
        // Gaps of 0...5 fillers before the first episode, and every key shows up in the final episode.
        #expect(firstKeyPositions == Set(0...5))
        #expect(Set(lastKeys) == Set(keyRange))
    }

    @Test func trainingPartContainsCompletePairsAndValidationAndTestTargetsAreAnswers() throws {
        var spec = SyntheticSpec()
        spec.users = 300
        spec.length = 100  // lag 20: four episodes, three of them in the training part
        let data = try SyntheticGenerator.generate(spec, seed: 5)
        let split = try Splitter.split(data, spec: SplitSpec())
        let answers = Int32(spec.keys + 1)...Int32(2 * spec.keys)
        #expect(split.test.allSatisfy { answers.contains($0.targets[0]) })
        #expect(split.validation.allSatisfy { answers.contains($0.targets[0]) })
        let trainingAnswers = split.train.reduce(0) { $0 + $1.filter { answers.contains($0) }.count }
        #expect(trainingAnswers == 300 * 2 * 3)
    }

    @Test func fillersFollowTheSparseTransitionTable() throws {
        var spec = smallSpec()
        spec.noise = 0
        let data = try SyntheticGenerator.generate(spec, seed: 3)
        let firstFiller = SyntheticGenerator.queryItem(keys: spec.keys) + 1
        var successors: [Int32: Set<Int32>] = [:]
        for sequence in data.sequences {
            let fillers = sequence.filter { $0 >= firstFiller }
            for (from, to) in zip(fillers, fillers.dropFirst()) { successors[from, default: []].insert(to) }
        }
        #expect(successors.values.allSatisfy { $0.count <= 5 })
        #expect(data.source.generator?.successorsPerFiller == 5)
    }

    @Test func loaderUsesTheSyntheticSpecAndRecordsParameters() throws {
        var spec = DatasetSpec()
        spec.synthetic = smallSpec()
        var lines: [String] = []
        let data = try DatasetLoader.load(spec, seed: 9, baseDirectory: "", log: { lines.append($0) })
        #expect(data.source.kind == .synthetic && data.source.generator?.seed == 9)
        #expect(data.numUsers == 200 && data.numItems == 60 && data.stats.interactions == 200 * 30)
        #expect(data.rawItemIds.count == 61 && data.rawItemIds[1] == "key-1" && data.rawItemIds[6] == "answer-1"
            && data.rawItemIds[11] == "query" && data.rawItemIds[12] == "filler-1")
        #expect(lines.count == 1)
    }

    @Test func invalidParametersAreExplained() {
        var spec = smallSpec()
        spec.length = 10
        #expect(DataFixtures.errorText { _ = try SyntheticGenerator.generate(spec, seed: 1) }
            == "invalid dataset.synthetic: length must be >= lag + 2 = 14, found 10")
        spec = smallSpec()
        spec.items = 12
        #expect(DataFixtures.errorText { _ = try SyntheticGenerator.generate(spec, seed: 1) }
            == "invalid dataset.synthetic: items must be >= 2 * keys + 3 = 13 (keys, answers, the query, and at least 2 fillers), found 12")
        spec = smallSpec()
        spec.lag = 2
        #expect(DataFixtures.errorText { _ = try SyntheticGenerator.generate(spec, seed: 1) }
            == "invalid dataset.synthetic: lag must be >= 3, found 2")
    }
}
