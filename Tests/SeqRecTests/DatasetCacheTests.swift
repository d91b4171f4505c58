import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Test func pointsSharingADatasetLoadItOncePerProcess() throws {
    let cache = DatasetCache()
    var spec = DatasetSpec()
    spec.name = nil
    var synthetic = SyntheticSpec()
    synthetic.users = 20
    synthetic.length = 30
    synthetic.lag = 5
    spec.synthetic = synthetic
    var messages: [String] = []
    let first = try cache.load(spec, seed: 1, baseDirectory: "/", log: { messages.append($0) })
    let again = try cache.load(spec, seed: 1, baseDirectory: "/", log: { messages.append($0) })
    #expect(again.sequences == first.sequences)
    #expect(messages.last == "dataset already loaded in this process: synthetic")
    // The seed changes synthetic data, so another seed is another dataset.
    messages.removeAll()
    let other = try cache.load(spec, seed: 2, baseDirectory: "/", log: { messages.append($0) })
    #expect(other.sequences != first.sequences)
    #expect(!messages.contains { $0.hasPrefix("dataset already loaded") })
}
