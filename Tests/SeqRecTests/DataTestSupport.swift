// Shared helpers for the data-layer tests: fixture paths and small in-memory datasets.

import Foundation
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

enum DataFixtures {
    /// Tests/Fixtures/data
    static let directory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("data").path

    static func path(_ name: String) -> String { directory + "/" + name }

    /// A DatasetSpec reading fixture `name` with no filters.
    static func spec(_ name: String, format: DataFormat? = nil, columns: ColumnMapping? = nil) -> DatasetSpec {
        var spec = DatasetSpec()
        spec.name = nil
        spec.path = name
        spec.format = format
        spec.columns = columns
        spec.minUserInteractions = 1
        spec.minItemInteractions = 1
        return spec
    }

    static func load(_ spec: DatasetSpec) throws -> InteractionData {
        try DatasetLoader.load(spec, seed: 1, baseDirectory: directory, log: { _ in })
    }

    /// The message of the DataError `body` throws, or a note that it did not throw one.
    static func errorText(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch let error as DataError {
            return error.description
        } catch {
            return "non-DataError: \(error)"
        }
    }

    /// InteractionData straight from per-user sequences (timestamps default to positions).
    static func data(_ sequences: [[Int32]], timestamps: [[Int64]]? = nil) -> InteractionData {
        let numItems = Int(sequences.flatMap { $0 }.max() ?? 0)
        return InteractionData(
            numUsers: sequences.count, numItems: numItems, sequences: sequences,
            ratings: sequences.map { $0.map { Float($0 % 5 + 1) } },
            timestamps: timestamps ?? sequences.map { $0.indices.map { Int64($0) } },
            rawItemIds: ["<pad>"] + (0..<numItems).map { "i\($0 + 1)" },
            rawUserIds: sequences.indices.map { "u\($0)" },
            stats: DatasetStats(sequences: sequences, numItems: numItems, rawInteractions: 0, removed: FilterRemovals(),
                                kCoreRounds: 0),
            source: DataSourceInfo(kind: .synthetic, name: "test"))
    }

    /// Raw events from `(user, item)` pairs in file order, timestamps = row order.
    static func rawLog(_ pairs: [(String, String)], ratings: [Float]? = nil) -> RawInteractionLog {
        RawInteractionLog(
            events: pairs.enumerated().map { index, pair in
                RawEvent(user: pair.0, item: pair.1, rating: ratings?[index] ?? 1, timestamp: Int64(index))
            },
            hasRatings: ratings != nil, hasTimestamps: false)
    }

    /// A temporary directory removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-data-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
