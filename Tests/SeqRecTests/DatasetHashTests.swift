// The dataset SHA-256 a report records belongs to the bytes that were parsed, even when the
// file changes while it is loaded (another job rewriting it, a copy still in progress).

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Suite struct DatasetHashTests {
    /// A csv of `rows` interactions over 50 users.
    private static func csv(rows: Int) -> Data {
        var text = "user_id,item_id,timestamp\n"
        for row in 0..<rows { text += "u\(row % 50),i\(row % 97),\(row)\n" }
        return Data(text.utf8)
    }

    @Test func theRecordedHashIsThatOfTheParsedBytesWhileTheFileIsReplaced() throws {
        let directory = try DataFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("events.csv")
        // Two versions that differ in their number of interactions, so a load tells which it parsed.
        let versions = [Self.csv(rows: 20_000), Self.csv(rows: 30_000)]
        let hashes = versions.map { SHA256.hex($0) }
        try versions[0].write(to: file)

        // A writer swaps the versions in (rename: a reader opens one complete file or the other)
        // as fast as it can while the loads run.
        let stop = ManagedAtomicFlag()
        let writer = Thread {
            var index = 1
            while !stop.isSet {
                let staged = directory.appendingPathComponent(".staged-\(index % 2)")
                try? versions[index % 2].write(to: staged)
                _ = rename(staged.path, file.path)
                index += 1
            }
        }
        writer.start()
        defer { stop.set() }

        var spec = DataFixtures.spec(file.path)
        spec.format = .csv
        var seen = Set<Int>()
        for _ in 0..<30 {
            let data = try DatasetLoader.load(spec, seed: 1, baseDirectory: directory.path, log: { _ in })
            let parsed = data.stats.interactions == 20_000 ? 0 : 1
            seen.insert(parsed)
            #expect(data.source.sha256 == hashes[parsed],
                    "parsed the version of \(data.stats.interactions) interactions, recorded the hash of the other")
        }
        stop.set()
        while !writer.isFinished { usleep(1_000) }
        #expect(!seen.isEmpty)
    }
}

/// A flag set once, read from another thread.
private final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
