// Checks that acquired data is exactly the built-in dataset (counts and, where known, the
// SHA-256 of its data lines) and stores it atomically: written to a temporary file in the
// cache directory, then renamed into place. Concurrent processes each rename a complete,
// identical file; a failed check or write leaves no file behind.

import Foundation

/// What a built-in dataset's canonical file must contain.
package struct DatasetExpectation: Sendable, Equatable {
    var interactions: Int
    package var users: Int
    package var items: Int
    /// Hex SHA-256 of the canonical data lines; nil when no checksum is known.
    var sha256: String?
    /// Field separator of the canonical file (`\t` for u.data, `::` for ratings.dat).
    var separator: [UInt8]
}

enum DatasetVerifier {
    /// The data lines of `bytes`, each ending in `\n`, without `\r`, blank lines, or (if
    /// `skipHeader`) the first non-blank line: the canonical form that is hashed and stored.
    static func canonicalLines(_ bytes: [UInt8], skipHeader: Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var skipping = skipHeader
        TextRecords.lines(bytes) { _, text in
            if skipping {
                skipping = false
                return
            }
            output.append(contentsOf: text)
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    /// Lower-case hex SHA-256 of `bytes`.
    static func sha256Hex(_ bytes: some DataProtocol) -> String {
        SHA256.hex(bytes)
    }

    /// Throws `verificationFailed` unless `canonical` has the expected interaction, user and
    /// item counts and checksum.
    static func verify(_ canonical: [UInt8], expectation: DatasetExpectation, dataset: String) throws {
        var lines = 0
        var users = Set<ArraySlice<UInt8>>()
        var items = Set<ArraySlice<UInt8>>()
        var problem: String?
        TextRecords.lines(canonical) { line, text in
            lines += 1
            guard problem == nil else { return }
            guard let firstEnd = firstIndex(of: expectation.separator, in: text, from: text.startIndex),
                  let secondEnd = firstIndex(of: expectation.separator, in: text, from: firstEnd + expectation.separator.count)
            else {
                problem = "line \(line) does not have user and item fields"
                return
            }
            users.insert(text[text.startIndex..<firstEnd])
            items.insert(text[(firstEnd + expectation.separator.count)..<secondEnd])
        }
        func fail(_ reason: String) -> DataError { .verificationFailed(dataset: dataset, reason: reason) }
        if let problem { throw fail(problem) }
        guard lines == expectation.interactions else {
            throw fail("expected \(expectation.interactions) interactions, found \(lines)")
        }
        guard users.count == expectation.users else { throw fail("expected \(expectation.users) users, found \(users.count)") }
        guard items.count == expectation.items else { throw fail("expected \(expectation.items) items, found \(items.count)") }
        if let expected = expectation.sha256 {
            let found = sha256Hex(canonical)
            guard found == expected else { throw fail("SHA-256 of the data lines is \(found), expected \(expected)") }
        }
    }

    /// Verifies `canonical`, then writes it to `destination` atomically. Nothing is written
    /// when verification fails; no temporary file survives a failed write.
    static func verifyAndStore(_ canonical: [UInt8], expectation: DatasetExpectation, dataset: String,
                               destination: URL) throws {
        try verify(canonical, expectation: expectation, dataset: dataset)
        let directory = destination.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial")
        do {
            do {
                try DirectoryCreation.create(directory.path)
            } catch {
                throw DataError.storeFailed(path: destination.path,
                                            reason: "cannot create the folder '\(directory.path)': \(error.reason)")
            }
            try Data(canonical).write(to: temporary)
            guard rename(temporary.path, destination.path) == 0 else {
                throw DataError.storeFailed(path: destination.path, reason: "rename from \(temporary.path) failed (errno \(errno))")
            }
            DirectorySync.flush(directory.path)
        } catch let error as DataError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw DataError.storeFailed(path: destination.path, reason: error.localizedDescription)
        }
    }

    private static func firstIndex(of separator: [UInt8], in text: ArraySlice<UInt8>, from start: Int) -> Int? {
        var index = start
        while index + separator.count <= text.endIndex {
            if text[index..<(index + separator.count)].elementsEqual(separator) { return index }
            index += 1
        }
        return nil
    }
}
