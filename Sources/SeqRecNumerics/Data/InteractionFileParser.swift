// Reads a user's interaction file in one of the supported formats into raw events (string
// ids, in file order). Every malformed row is an error naming `file:line` and the problem.

import Foundation

/// One interaction as read from a file, before any id remapping or filtering.
struct RawEvent: Sendable, Equatable {
    var user: String
    var item: String
    var rating: Float
    /// The file's timestamp, or the row's position among data rows when the file has none.
    var timestamp: Int64
}

/// The rows of one file, in file order.
package struct RawInteractionLog: Sendable {
    var events: [RawEvent]
    var hasRatings: Bool
    var hasTimestamps: Bool
}

package enum InteractionFileParser {
    /// The format a file's extension implies; throws for extensions that fit several formats.
    static func detectFormat(path: String) throws -> DataFormat {
        guard let format = DataFormat.detected(fromPath: path) else { throw DataError.ambiguousFormat(path: path) }
        return format
    }

    /// Reads `path` (already resolved) in `format`. `columns` maps csv/tsv/recbole columns.
    package static func parse(path: String, format: DataFormat, columns: ColumnMapping?) throws -> RawInteractionLog {
        try parse(bytes: readBytes(path: path), file: path, format: format, columns: columns)
    }

    /// The bytes of the regular file at `path`, read once: what is hashed is what is parsed.
    /// Only a regular file is opened (RegularFile): a FIFO would block the run, a device never end.
    package static func readBytes(path: String) throws -> [UInt8] {
        let data: Data
        do throws(RegularFileError) {
            data = try RegularFile.read(path)
        } catch {
            if error.isMissing { throw DataError.fileNotFound(path: path) }
            throw DataError.unreadableFile(path: path, reason: error.reason)
        }
        return [UInt8](data)
    }

    /// Parses file contents; `file` is the name used in error messages.
    package static func parse(bytes: [UInt8], file: String, format: DataFormat, columns: ColumnMapping?) throws -> RawInteractionLog {
        try checkUTF8(bytes, file: file)
        let log: RawInteractionLog
        switch format {
        case .movielens:
            log = try parseFixed(bytes, file: file, expectation: "4 tab-separated fields (user, item, rating, timestamp)") {
                TextRecords.split($0, byte: UInt8(ascii: "\t"))
            }
        case .movielensDat:
            log = try parseFixed(bytes, file: file, expectation: "4 '::'-separated fields (user::item::rating::timestamp)") {
                TextRecords.split($0, separator: [UInt8(ascii: ":"), UInt8(ascii: ":")])
            }
        case .sasrec:
            log = try parseSASRec(bytes, file: file)
        case .recbole:
            log = try parseRecBole(bytes, file: file, columns: columns)
        case .csv:
            log = try parseDelimited(bytes, file: file, delimiter: UInt8(ascii: ","), columns: columns)
        case .tsv:
            log = try parseDelimited(bytes, file: file, delimiter: UInt8(ascii: "\t"), columns: columns)
        }
        guard !log.events.isEmpty else {
            throw DataError.emptyDataset(stage: "before filtering: \(file) has no interaction rows")
        }
        return log
    }

    /// Ids and fields are UTF-8 text. Decoding other bytes would turn each into U+FFFD and
    /// silently merge different ids, so the first one is an error naming its line.
    static func checkUTF8(_ bytes: [UInt8], file: String) throws {
        guard String(validating: bytes, as: UTF8.self) == nil else { return }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while case .valid(let encoded) = parser.parseScalar(from: &iterator) { offset += encoded.count }
        guard offset < bytes.count else { return }
        let lineStart = bytes[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let lineEnd = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        let line = 1 + bytes[..<offset].count { $0 == UInt8(ascii: "\n") }
        var text = bytes[lineStart..<min(lineEnd, lineStart + 120)]
        if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
        let byte = String(bytes[offset], radix: 16, uppercase: true)
        throw DataError.malformedRow(
            file: file, line: line,
            reason: "expected UTF-8 text (ids are compared as text), found the byte 0x\(byte.count == 1 ? "0" + byte : byte) "
                + "in '\(String.escapingForTerminal(bytes: text))'")
    }

    // MARK: - Formats

    /// `user item rating timestamp` rows without a header (u.data, ratings.dat).
    private static func parseFixed(_ bytes: [UInt8], file: String, expectation: String,
                                   split: (ArraySlice<UInt8>) -> [String]) throws -> RawInteractionLog {
        var events: [RawEvent] = []
        try TextRecords.lines(bytes) { line, text in
            let fields = split(text)
            guard fields.count == 4 else {
                throw DataError.malformedRow(file: file, line: line, reason: "expected \(expectation), found \(fields.count)")
            }
            let row = RowContext(file: file, line: line)
            events.append(RawEvent(user: try row.id(fields[0], role: "user"), item: try row.id(fields[1], role: "item"),
                                   rating: try row.rating(fields[2]),
                                   timestamp: try row.timestamp(fields[3])))
        }
        return RawInteractionLog(events: events, hasRatings: true, hasTimestamps: true)
    }

    /// `user item` rows in chronological order per user; the row order is the time.
    private static func parseSASRec(_ bytes: [UInt8], file: String) throws -> RawInteractionLog {
        var events: [RawEvent] = []
        try TextRecords.lines(bytes) { line, text in
            let fields = TextRecords.splitWhitespace(text)
            guard fields.count == 2 else {
                throw DataError.malformedRow(
                    file: file, line: line, reason: "expected 2 whitespace-separated fields (user item), found \(fields.count)")
            }
            events.append(RawEvent(user: fields[0], item: fields[1], rating: 1, timestamp: Int64(events.count)))
        }
        return RawInteractionLog(events: events, hasRatings: false, hasTimestamps: false)
    }

    /// RecBole atomic `.inter`: tab-separated, header fields `name:type` (e.g. `user_id:token`).
    private static func parseRecBole(_ bytes: [UInt8], file: String, columns: ColumnMapping?) throws -> RawInteractionLog {
        var header: [String]?
        var layout: ColumnLayout?
        var events: [RawEvent] = []
        try TextRecords.lines(bytes) { line, text in
            let fields = TextRecords.split(text, byte: UInt8(ascii: "\t")).map { $0.trimmingSpaces() }
            guard let names = header, let columnLayout = layout else {
                var names: [String] = []
                for field in fields {
                    let parts = field.split(separator: ":", omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                        throw DataError.malformedRow(
                            file: file, line: line, reason: "recbole header field '\(field)' is not of the form name:type")
                    }
                    names.append(String(parts[0]))
                }
                header = names
                layout = try ColumnLayout(header: names, mapping: columns, file: file, line: line)
                return
            }
            guard fields.count == names.count else {
                throw DataError.malformedRow(
                    file: file, line: line,
                    reason: "expected \(names.count) tab-separated fields as in the header, found \(fields.count)")
            }
            events.append(try columnLayout.event(fields, row: RowContext(file: file, line: line),
                                                 index: events.count))
        }
        return RawInteractionLog(events: events, hasRatings: layout?.rating != nil, hasTimestamps: layout?.timestamp != nil)
    }

    /// csv/tsv with a header row; quoting per RFC 4180.
    private static func parseDelimited(_ bytes: [UInt8], file: String, delimiter: UInt8,
                                       columns: ColumnMapping?) throws -> RawInteractionLog {
        let records = try TextRecords.delimitedRecords(bytes, delimiter: delimiter, file: file)
        guard let headerRecord = records.first else {
            return RawInteractionLog(events: [], hasRatings: false, hasTimestamps: false)
        }
        let layout = try ColumnLayout(header: headerRecord.fields, mapping: columns, file: file, line: headerRecord.line)
        var events: [RawEvent] = []
        events.reserveCapacity(records.count - 1)
        let separatorName = delimiter == UInt8(ascii: ",") ? "comma" : "tab"
        for record in records.dropFirst() {
            guard record.fields.count == headerRecord.fields.count else {
                throw DataError.malformedRow(
                    file: file, line: record.line,
                    reason: "expected \(headerRecord.fields.count) \(separatorName)-separated fields as in the header, "
                        + "found \(record.fields.count)")
            }
            events.append(try layout.event(record.fields, row: RowContext(file: file, line: record.line),
                                           index: events.count))
        }
        return RawInteractionLog(events: events, hasRatings: layout.rating != nil, hasTimestamps: layout.timestamp != nil)
    }
}

/// Which header column holds which role. Without an explicit `columns:` mapping, `user_id`
/// and `item_id` are required and `rating` / `timestamp` are used when present.
private struct ColumnLayout {
    var user: Int
    var item: Int
    var rating: Int?
    var timestamp: Int?

    init(header: [String], mapping: ColumnMapping?, file: String, line: Int) throws {
        func index(of name: String, role: String) throws -> Int {
            guard let found = header.firstIndex(of: name) else {
                throw DataError.missingColumn(file: file, line: line, column: name, role: role, available: header)
            }
            return found
        }
        let columns = mapping ?? ColumnMapping()
        user = try index(of: columns.user, role: "user")
        item = try index(of: columns.item, role: "item")
        if let mapping {
            rating = try mapping.rating.map { try index(of: $0, role: "rating") }
            timestamp = try mapping.timestamp.map { try index(of: $0, role: "timestamp") }
        } else {
            rating = header.firstIndex(of: "rating")
            timestamp = header.firstIndex(of: "timestamp")
        }
    }

    func event(_ fields: [String], row: RowContext, index: Int) throws -> RawEvent {
        RawEvent(user: try row.id(fields[user], role: "user"), item: try row.id(fields[item], role: "item"),
                 rating: try rating.map { try row.rating(fields[$0]) } ?? 1,
                 timestamp: try timestamp.map { try row.timestamp(fields[$0]) } ?? Int64(index))
    }
}

/// Field checks for one row, with its location for error messages.
private struct RowContext {
    var file: String
    var line: Int

    func id(_ text: String, role: String) throws -> String {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { throw DataError.malformedRow(file: file, line: line, reason: "empty \(role) id") }
        return trimmed
    }

    func rating(_ text: String) throws -> Float {
        guard let value = Float(text.trimmingSpaces()) else {
            throw DataError.malformedRow(file: file, line: line, reason: "rating '\(text)' is not a number")
        }
        guard value.isFinite else {
            // Float("nan"), Float("inf") and Float("1e39") parse: not a rating anyone meant.
            throw DataError.malformedRow(file: file, line: line, reason: "rating '\(text)' is not a finite number")
        }
        return value
    }

    func timestamp(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingSpaces()
        if Int64(trimmed) == nil, let number = Double(trimmed), !(number.isFinite && abs(number) < 9e18) {
            throw DataError.malformedRow(file: file, line: line,
                                         reason: "timestamp '\(text)' is not a finite number of seconds within the Int64 range")
        }
        guard let value = Self.seconds(trimmed) else {
            throw DataError.malformedRow(
                file: file, line: line, reason: "timestamp '\(text)' is neither a number nor an ISO 8601 date")
        }
        return value
    }

    /// Integer or decimal seconds (decimals rounded down, so sub-second order falls back to
    /// file order), or an ISO 8601 date / date-time (UTC unless it names a zone).
    private static func seconds(_ text: String) -> Int64? {
        if let integer = Int64(text) { return integer }
        if let decimal = Double(text), decimal.isFinite, abs(decimal) < 9e18 { return Int64(decimal.rounded(.down)) }
        return ISO8601.seconds(text)
    }
}
