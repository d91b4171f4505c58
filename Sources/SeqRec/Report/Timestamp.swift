// Report times as ISO 8601 UTC text with milliseconds (`2026-11-29T06:52:42.123Z`), kept in
// whole milliseconds so that a time read and written again is the same text.

import Foundation

package struct Timestamp: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z, within `ISO8601.millisecondRange`.
    package var millisecondsSince1970: Int64

    package var date: Date { Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000) }

    /// `date` rounded down to the millisecond (and to years 0000-9999).
    package init(_ date: Date) {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down)
        let range = ISO8601.millisecondRange
        millisecondsSince1970 = milliseconds.isNaN ? 0
            : milliseconds <= Double(range.lowerBound) ? range.lowerBound
            : milliseconds >= Double(range.upperBound) ? range.upperBound
            : Int64(milliseconds)
    }

    package static func now() -> Timestamp { Timestamp(Date()) }

    package var description: String { ISO8601.string(milliseconds: millisecondsSince1970) }

    /// Parses an ISO 8601 date-time (see `ISO8601.milliseconds`); nil if it is not one.
    package init?(parsing text: String) {
        guard let milliseconds = ISO8601.milliseconds(text) else { return nil }
        millisecondsSince1970 = milliseconds
    }

    package init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container,
                                                   debugDescription: "expected an ISO 8601 UTC time, found '\(text)'")
        }
        self = parsed
    }

    package func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
