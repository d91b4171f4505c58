// Built-in dataset acquisition without the network: verification, atomic storage, source
// fallback and the all-sources-failed message. A live download runs only when
// SEQREC_LIVE_DATA=1 is set.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Suite struct DataAcquisitionTests {
    private let fakeLines = Array("1\t10\t5\t100\n1\t20\t3\t101\n2\t10\t4\t102\n".utf8)

    private func expectation(sha256: String?) -> DatasetExpectation {
        DatasetExpectation(interactions: 3, users: 2, items: 2, sha256: sha256, separator: [UInt8(ascii: "\t")])
    }

    private func contents(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    @Test func checksumFailureLeavesNoFile() throws {
        let directory = try DataFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let destination = directory.appendingPathComponent("fake").appendingPathComponent("u.data")
        let wrong = String(repeating: "0", count: 64)
        let message = DataFixtures.errorText {
            try DatasetVerifier.verifyAndStore(fakeLines, expectation: expectation(sha256: wrong), dataset: "fake",
                                               destination: destination)
        }
        #expect(message == "fake failed verification: SHA-256 of the data lines is "
            + "\(DatasetVerifier.sha256Hex(fakeLines)), expected \(wrong)")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(contents(destination.deletingLastPathComponent()).isEmpty)
    }

    @Test func verifiedDataIsStoredWithoutLeftovers() throws {
        let directory = try DataFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let destination = directory.appendingPathComponent("u.data")
        try DatasetVerifier.verifyAndStore(fakeLines, expectation: expectation(sha256: DatasetVerifier.sha256Hex(fakeLines)),
                                           dataset: "fake", destination: destination)
        #expect(try [UInt8](Data(contentsOf: destination)) == fakeLines)
        #expect(contents(directory) == ["u.data"])
    }

    @Test func countMismatchesAreReported() {
        func message(_ expected: DatasetExpectation) -> String {
            DataFixtures.errorText { try DatasetVerifier.verify(fakeLines, expectation: expected, dataset: "fake") }
        }
        var counts = expectation(sha256: nil)
        counts.interactions = 4
        #expect(message(counts) == "fake failed verification: expected 4 interactions, found 3")
        counts = expectation(sha256: nil)
        counts.users = 3
        #expect(message(counts) == "fake failed verification: expected 3 users, found 2")
        counts = expectation(sha256: nil)
        counts.items = 1
        #expect(message(counts) == "fake failed verification: expected 1 items, found 2")
    }

    @Test func canonicalLinesDropHeaderCarriageReturnsAndBlankLines() {
        let inter = Array("user_id:token\titem_id:token\trating:float\ttimestamp:float\r\n1\t10\t5\t100\r\n\n1\t20\t3\t101\n2\t10\t4\t102".utf8)
        #expect(DatasetVerifier.canonicalLines(inter, skipHeader: true) == fakeLines)
        #expect(DatasetVerifier.canonicalLines(fakeLines, skipHeader: false) == fakeLines)
    }

    private func fakeDataset(sources: [AcquisitionSource]) -> BuiltinDataset {
        BuiltinDataset(name: "fake-set", fileName: "u.data", format: .movielens,
                       expectation: expectation(sha256: DatasetVerifier.sha256Hex(fakeLines)), sources: sources,
                       manualCommand: "cp my-u.data '{cache}/fake-set/u.data'")
    }

    @Test func everySourceFailingNamesEachSourceAndTheManualCommand() throws {
        let directory = try DataFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let truncated = Array(fakeLines.prefix(22))  // the first two lines
        let dataset = fakeDataset(sources: [
            AcquisitionSource(name: "Mirror A", origin: "a", hasHeader: false) { _ in throw SourceError("connection refused") },
            AcquisitionSource(name: "Mirror B", origin: "b", hasHeader: false) { _ in truncated },
        ])
        let message = DataFixtures.errorText { _ = try dataset.acquire(cacheDirectory: directory.path, log: { _ in }) }
        #expect(message == """
            could not acquire fake-set; every source failed:
              1. Mirror A: connection refused
              2. Mirror B: the data failed verification: expected 3 interactions, found 2
            To place the file by hand, run:
              cp my-u.data '\(directory.path)/fake-set/u.data'
            """)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("fake-set/u.data").path))
        #expect(contents(directory.appendingPathComponent("fake-set")).isEmpty)
    }

    @Test func laterSourceIsUsedAndTheCacheIsReused() throws {
        let directory = try DataFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let withHeader = Array("user_id:token\titem_id:token\trating:float\ttimestamp:float\n".utf8) + fakeLines
        let dataset = fakeDataset(sources: [
            AcquisitionSource(name: "Mirror A", origin: "a", hasHeader: false) { _ in throw SourceError("offline") },
            AcquisitionSource(name: "Package B", origin: "b", hasHeader: true) { _ in withHeader },
        ])
        var lines: [String] = []
        let (file, origin) = try dataset.acquire(cacheDirectory: directory.path, log: { lines.append($0) })
        #expect(origin == "b" && file.path == directory.appendingPathComponent("fake-set/u.data").path)
        #expect(try [UInt8](Data(contentsOf: file)) == fakeLines)
        #expect(lines.contains("fake-set: Mirror A failed: offline"))
        // Second time: the cached file is verified and used; no source is asked.
        let offline = fakeDataset(sources: [
            AcquisitionSource(name: "Mirror A", origin: "a", hasHeader: false) { _ in throw SourceError("offline") },
        ])
        #expect(try offline.acquire(cacheDirectory: directory.path, log: { _ in }).origin == "cache")
    }

    @Test func corruptCachedFileIsAnErrorNotSilentlyUsed() throws {
        let directory = try DataFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("movielens-100k/u.data")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(fakeLines).write(to: file)
        var spec = DatasetSpec()
        spec.cacheDir = directory.path
        let message = DataFixtures.errorText { _ = try DatasetLoader.load(spec, seed: 1, baseDirectory: "", log: { _ in }) }
        #expect(message == "movielens-100k failed verification: the cached file \(file.path) is not the expected data "
            + "(expected 100000 interactions, found 3); delete it to acquire the dataset again")
    }

    @Test func movieLens1MCacheIsParsedAsDatAndVerified() throws {
        let directory = try DataFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("movielens-1m/ratings.dat")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: DataFixtures.path("ratings-small.dat"), toPath: file.path)
        var spec = DatasetSpec()
        spec.name = "movielens-1m"
        spec.cacheDir = directory.path
        let message = DataFixtures.errorText { _ = try DatasetLoader.load(spec, seed: 1, baseDirectory: "", log: { _ in }) }
        #expect(message == "movielens-1m failed verification: the cached file \(file.path) is not the expected data "
            + "(expected 1000209 interactions, found 4); delete it to acquire the dataset again")
    }

    @Test func builtinDefinitions() throws {
        #expect(DataFixtures.errorText { _ = try BuiltinDataset.named("netflix") }
            == "unknown built-in dataset 'netflix'; built-in datasets: movielens-100k, movielens-1m")
        let oneMillion = try BuiltinDataset.named("movielens-1m")
        #expect(oneMillion.format == .movielensDat && oneMillion.fileName == "ratings.dat")
        #expect(oneMillion.expectation.interactions == 1_000_209 && oneMillion.expectation.users == 6_040
            && oneMillion.expectation.items == 3_706)
        let hundredK = try BuiltinDataset.named("movielens-100k")
        #expect(hundredK.sources.map(\.origin) == ["https://files.grouplens.org/datasets/movielens/ml-100k.zip",
                                                   "pypi:recbole==1.2.1"])
        #expect(BuiltinDataset.cacheDirectory(configured: "/tmp/x") == "/tmp/x")
        let environment = ProcessInfo.processInfo.environment["SEQREC_DATA_DIR"] ?? ""
        #expect(BuiltinDataset.cacheDirectory(configured: nil) == (environment.isEmpty ? "data" : environment))
    }

    /// The real thing: downloads MovieLens-100K (GroupLens, else PyPI) into a fresh cache.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SEQREC_LIVE_DATA"] == "1"))
    func liveMovieLens100KAcquisition() throws {
        let directory = try DataFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let start = Date()
        let file = try DatasetLoader.acquire(builtin: "movielens-100k", cacheDirectory: directory.path, log: { print($0) })
        print(String(format: "acquired in %.1f s", Date().timeIntervalSince(start)))
        var spec = DatasetSpec()
        spec.cacheDir = directory.path
        let data = try DatasetLoader.load(spec, seed: 1, baseDirectory: "", log: { print($0) })
        #expect(file.lastPathComponent == "u.data")
        #expect(data.stats.interactions == 100_000 && data.numUsers == 943 && data.numItems == 1_682)
        #expect(data.source.sha256 == "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490")
        let split = try Splitter.split(data, spec: SplitSpec())
        let batcher = TrainingBatcher(sequences: split.train, ratings: split.trainRatings, maxLength: 50, batchSize: 256)
        var rng = SeededGenerator(seed: 1)
        let batches = batcher.epoch(rng: &rng)
        let paddedSteps = batches.reduce(0) { $0 + $1.batchSize * $1.steps }
        print("split: \(split.stats)")
        print("windows \(batcher.windowCount), targets \(batcher.targetCount), input steps \(batcher.inputCount), "
            + String(format: "mean row length %.1f, ", Double(batcher.inputCount) / Double(batcher.windowCount))
            + "batches \(batches.count), padded steps \(paddedSteps)")
        #expect(batcher.targetCount == split.stats.trainTargets)
    }
}
