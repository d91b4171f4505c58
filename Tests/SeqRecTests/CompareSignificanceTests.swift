import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Paired t-test and Wilcoxon signed-rank test against scipy values committed in
// Tests/Fixtures/compare/expected/significance.json (made by Tests/Fixtures/make_significance.py).

private struct Reference: Decodable {
    struct Tests: Decodable {
        var n: Int
        var meanDifference: Double
        var effectSize: Double?
        var tStatistic: Double?
        var tP: Double?
        var wilcoxonN: Int
        var wilcoxonZ: Double?
        var wilcoxonP: Double?
    }
    struct Vector: Decodable {
        var name: String
        var differences: [Double]
    }
    struct Beta: Decodable {
        var x, a, b, value: Double
    }
    struct Setting: Decodable {
        var cell: String
        var hiddenSize: Int
    }
    struct Pair: Decodable {
        var first, second: Setting
        var seeds: [UInt64]
    }
    var vectors: [Vector]
    var betainc: [Beta]
    var pairs: [Pair]
}

/// The file decoded twice: the case descriptions, and the scipy results of each case.
private func reference() throws -> (Reference, vectorTests: [Reference.Tests], pairTests: [Reference.Tests]) {
    let data = try Data(contentsOf: compareFixtures.appendingPathComponent("expected/significance.json"))
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity",
                                                                    negativeInfinity: "-Infinity", nan: "NaN")
    struct Results: Decodable {
        var vectors: [Reference.Tests]
        var pairs: [Reference.Tests]
    }
    let results = try decoder.decode(Results.self, from: data)
    return (try decoder.decode(Reference.self, from: data), results.vectors, results.pairs)
}

private func close(_ actual: Double?, _ expected: Double?, relative: Double = 1e-7) -> Bool {
    switch (actual, expected) {
    case (nil, nil): return true
    case let (actual?, expected?):
        if actual == expected { return true }
        return abs(actual - expected) <= relative * max(abs(expected), 1e-300)
    default: return false
    }
}

private func expectMatches(_ result: PairedTestResult, _ expected: Reference.Tests, _ name: String, sign: Double = 1) {
    #expect(result.count == expected.n, "\(name) n")
    #expect(close(result.meanDifference * sign, expected.meanDifference, relative: 1e-9), "\(name) mean")
    #expect(close(result.effectSize.map { $0 * sign }, expected.effectSize), "\(name) d_z")
    #expect(close(result.tStatistic.map { $0 * sign }, expected.tStatistic), "\(name) t")
    #expect(close(result.tTestP, expected.tP, relative: 1e-6), "\(name) t-test p \(String(describing: result.tTestP))")
    #expect(result.wilcoxonCount == expected.wilcoxonN, "\(name) Wilcoxon n")
    // scipy reports the two-sided z from min(R+, R-), i.e. -|z|; ours keeps the direction (R+ based).
    #expect(close(result.wilcoxonZ.map { -abs($0) }, expected.wilcoxonZ), "\(name) Wilcoxon |z|")
    #expect(result.wilcoxonZ.map { ($0 * sign > 0) == (expected.meanDifference > 0) || expected.wilcoxonZ == 0 } ?? true,
            "\(name) Wilcoxon z sign")
    #expect(close(result.wilcoxonP, expected.wilcoxonP, relative: 1e-6),
            "\(name) Wilcoxon p \(String(describing: result.wilcoxonP))")
}

@Test func pairedTestsMatchScipyOnDifferenceVectors() throws {
    let (cases, expected, _) = try reference()
    #expect(cases.vectors.count == 6)
    for (vector, tests) in zip(cases.vectors, expected) {
        expectMatches(PairedTests.run(differences: vector.differences), tests, vector.name)
    }
}

@Test func incompleteBetaMatchesScipy() throws {
    let (cases, _, _) = try reference()
    for point in cases.betainc {
        let value = SpecialFunctions.regularizedIncompleteBeta(point.x, a: point.a, b: point.b)
        #expect(close(value, point.value, relative: 1e-10), "I_\(point.x)(\(point.a), \(point.b)) = \(value), scipy \(point.value)")
    }
    #expect(SpecialFunctions.regularizedIncompleteBeta(0, a: 2, b: 3) == 0)
    #expect(SpecialFunctions.regularizedIncompleteBeta(1, a: 2, b: 3) == 1)
}

@Test func fixturePairsMatchScipy() throws {
    let (cases, _, expected) = try reference()
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells"]))
    func rowIndex(_ setting: Reference.Setting) -> Int? {
        comparison.rows.firstIndex {
            $0.settings["model.cell"] == .string(setting.cell) && $0.settings["model.hiddenSize"] == .integer(Int64(setting.hiddenSize))
        }
    }
    #expect(comparison.significance.count == cases.pairs.count)
    for (pair, tests) in zip(cases.pairs, expected) {
        let first = try #require(rowIndex(pair.first)), second = try #require(rowIndex(pair.second))
        let row = try #require(comparison.significance.first {
            ($0.first, $0.second) == (first, second) || ($0.first, $0.second) == (second, first)
        })
        let name = "\(pair.first.cell)\(pair.first.hiddenSize) vs \(pair.second.cell)\(pair.second.hiddenSize)"
        #expect(row.seeds == pair.seeds.map { Optional($0) }, "\(name) seeds")
        #expect(row.metric == "ndcg@10")
        let result = try #require(row.result, "\(name): \(row.skipReason ?? "")")
        expectMatches(result, tests, name, sign: row.first == first ? 1 : -1)
    }
    #expect(comparison.significance.map(\.differingKey).sorted()
        == ["model.cell", "model.cell", "model.cell", "model.hidden_size"])
}

@Test func pairingMatchesSeedsAndUsersAndSkipsNaN() {
    let first = PerUserValues(metric: "ndcg@10", users: [0, 1, 2, 3], values: [0.5, .nan, 1, 0.25])
    let second = PerUserValues(metric: "ndcg@10", users: [3, 2, 1, 9], values: [0.5, 0.5, 0.5, 1])
    #expect(ComparisonBuilder.pairedDifferences(first, second) == [0.5, -0.25])
    let runs = [
        compareTestRun(cell: "lstm", seed: 1, perUser: first), compareTestRun(cell: "lstm", seed: 2, perUser: first),
        compareTestRun(cell: "gru", seed: 2, perUser: second), compareTestRun(cell: "gru", seed: 3, perUser: second),
    ]
    let comparison = ComparisonBuilder.compare(runs)
    #expect(comparison.significance.count == 1)
    let test = comparison.significance[0]
    #expect(test.seeds == [2])
    #expect(test.result?.count == 2)
    #expect(test.result?.meanDifference == -0.125) // gru - lstm: rows are ordered gru, lstm
}

@Test func pairsAcrossProtocolsOrWithoutSidecarsAreNotTested() {
    let values = PerUserValues(metric: "ndcg@10", users: [0, 1], values: [0.5, 1])
    let acrossProtocols = ComparisonBuilder.compare([
        compareTestRun(cell: "lstm", seed: 1, perUser: values),
        compareTestRun(cell: "lstm", seed: 1, candidates: "sampled", perUser: values),
    ])
    #expect(acrossProtocols.significance.map(\.skipReason) == ["different protocols"])
    #expect(acrossProtocols.significance.map(\.differingKey) == ["evaluation.candidates"])
    let withoutSidecar = ComparisonBuilder.compare([compareTestRun(cell: "lstm", seed: 1, perUser: values),
                                                    compareTestRun(cell: "gru", seed: 1)])
    #expect(withoutSidecar.significance.map(\.skipReason) == ["no seed with per-user values in both"])
    #expect(withoutSidecar.markdown().contains("- cell=gru vs cell=lstm: no seed with per-user values in both\n"))
}

@Test func degenerateDifferencesFollowScipy() {
    let zeros = PairedTests.run(differences: [0, 0, 0])
    #expect(zeros.tTestP == nil && zeros.wilcoxonP == nil && zeros.effectSize == nil && zeros.wilcoxonCount == 0)
    let single = PairedTests.run(differences: [0.5])
    #expect(single.tTestP == nil && single.count == 1)
}

@Test func theOnlyTwoConfigurationsOfAProtocolAreTestedWhateverSetsThemApart() {
    // A tuned configuration against the one it was tuned from: same family, several settings.
    #expect(ComparisonBuilder.testedDifference(["model.dropout", "training.batchSize"], acrossFamilies: false,
                                               onlyPairInProtocol: true) == "2 model/training settings")
    #expect(ComparisonBuilder.testedDifference(["model.dropout", "dataset.name"], acrossFamilies: false,
                                               onlyPairInProtocol: true) == nil)
    let values = PerUserValues(metric: "ndcg@10", users: [0, 1], values: [0.5, 1])
    let two = ComparisonBuilder.compare([compareTestRun(cell: "lstm", hidden: 50, seed: 1, perUser: values),
                                         compareTestRun(cell: "gru", hidden: 100, seed: 1, perUser: values)])
    #expect(two.significance.map(\.differingKey) == ["2 model/training settings"])
    #expect(two.significance.first?.result?.count == 2)
    // A third configuration in the protocol: only the pairs that differ in one setting.
    let three = ComparisonBuilder.compare([compareTestRun(cell: "lstm", hidden: 50, seed: 1, perUser: values),
                                           compareTestRun(cell: "gru", hidden: 100, seed: 1, perUser: values),
                                           compareTestRun(cell: "rnn", hidden: 50, seed: 1, perUser: values)])
    #expect(three.significance.map(\.differingKey) == ["model.cell"])
}
