import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Training sequences: counts 1:2, 2:3, 3:3, 4:0; transitions 1->2 (1), 2->3 (2), 3->1 (1), 3->2 (1).
private let train: [[Int32]] = [[1, 2, 3], [2, 3, 1], [3, 2]]

private func batch(_ rows: [[Int32]], steps: Int) -> SequenceBatch {
    let inputs = rows.flatMap { $0 + [Int32](repeating: 0, count: steps - $0.count) }
    return SequenceBatch(batchSize: rows.count, steps: steps, inputs: inputs,
                         targets: [Int32](repeating: 0, count: inputs.count),
                         ratings: [Float](repeating: 0, count: inputs.count), users: (0..<Int32(rows.count)).map { $0 })
}

private func row(_ scores: [Float], _ b: Int) -> [Float] { Array(scores[(b * 5)..<(b * 5 + 5)]) }

@Test func popularityScoresAreTrainingCounts() {
    let model = PopularityModel(trainSequences: train, numItems: 4)
    #expect(model.counts == [0, 2, 3, 3, 0])
    let scores = model.scoreNext(batch([[1], [4, 2]], steps: 2))
    #expect(scores.count == 10)
    #expect(row(scores, 0) == [-.infinity, 2, 3, 3, 0] && row(scores, 1) == row(scores, 0))
}

@Test func markovScoresTransitionsWithPopularityTieBreak() {
    let model = MarkovModel(trainSequences: train, numItems: 4)
    #expect(model.transitions(from: 2, to: 3) == 2 && model.transitions(from: 3, to: 1) == 1 && model.transitions(from: 1, to: 3) == 0)
    let scores = model.scoreNext(batch([[2], [1, 3], [4], []], steps: 3))
    // After 2: 3 (2 transitions) then popularity 2 (3) > 1 (2) > 4 (0); tie-break = count / (max + 1).
    let afterTwo: [Float] = [-.infinity, 0.5, 0.75, 2.75, 0]
    #expect(row(scores, 0) == afterTwo)
    // After 3: 1 and 2 tie on one transition each; popularity puts 2 first.
    let afterThree: [Float] = [-.infinity, 1.5, 1.75, 0.75, 0]
    #expect(row(scores, 1) == afterThree)
    // Item 4 never leads anywhere, and an empty row has no last item: popularity.
    let popularity: [Float] = [-.infinity, 2, 3, 3, 0]
    #expect(row(scores, 2) == popularity)
    #expect(row(scores, 3) == row(scores, 2))
}

@Test func markovIgnoresPaddingInsideTrainingSequences() {
    let model = MarkovModel(trainSequences: [[1, 0, 2], [0, 0]], numItems: 2)
    #expect(model.transitions(from: 1, to: 2) == 1 && model.transitions(from: 0, to: 2) == 0)
    #expect(model.popularity.counts == [0, 1, 1])
}
