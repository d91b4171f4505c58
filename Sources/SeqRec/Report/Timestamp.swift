// Report times as ISO 8601 UTC text (`2026-11-29T06:52:42.123Z`), independent of how the
// surrounding encoder treats `Date`.

import Foundation

public struct Timestamp: Sendable, Equatable, Codable, CustomStringConvertible {
    public var date: Date

    public init(_ date: Date) { self.date = date }
    public static func now() -> Timestamp { Timestamp(Date()) }

    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public var description: String { date.formatted(Self.style) }

    /// Parses ISO 8601 with or without fractional seconds; nil if it is neither.
    public init?(parsing text: String) {
        if let date = try? Date(text, strategy: Self.style) {
            self.date = date
        } else if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(timeZone: .gmt)) {
            self.date = date
        } else {
            return nil
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container,
                                                   debugDescription: "expected an ISO 8601 UTC time, found '\(text)'")
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
