// ISO 8601 dates and times, read and written by hand in whole milliseconds since 1970 (UTC).
// Foundation's formatters go through ICU, which dies with SIGFPE on a long fractional second
// (found by fuzzing the data readers), and a `Date`'s Double does not survive
// parse -> format -> parse digit for digit (found by fuzzing the report reader).

package enum ISO8601 {
    /// The instants a four-digit year can name: 0000-01-01T00:00:00Z ... 9999-12-31T23:59:59.999Z.
    package static let millisecondRange: ClosedRange<Int64> = -62_167_219_200_000 ... 253_402_300_799_999

    /// Milliseconds since 1970 (rounded down) for `YYYY-MM-DD`, optionally followed by `T` or a
    /// space and `hh:mm[:ss]`, a fraction of a second (`.` or `,` and digits; digits past the
    /// millisecond are dropped) and a zone (`Z`, `±hh:mm`, `±hhmm` or `±hh`; none means UTC).
    /// Nil for any other text or an impossible date (February 30th, hour 24).
    package static func milliseconds(_ text: String) -> Int64? {
        var reader = Reader(bytes: Array(text.utf8))
        guard let year = reader.number(digits: 4), reader.skip("-"),
              let month = reader.number(digits: 2), (1 ... 12).contains(month), reader.skip("-"),
              let day = reader.number(digits: 2), (1 ... daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var secondOfDay = 0, millisecond = 0, zoneOffset = 0
        if !reader.atEnd {
            guard reader.skip("T") || reader.skip(" "),
                  let hour = reader.number(digits: 2), hour < 24, reader.skip(":"),
                  let minute = reader.number(digits: 2), minute < 60
            else { return nil }
            var second = 0
            if reader.skip(":") {
                guard let value = reader.number(digits: 2), value < 60 else { return nil }
                second = value
                if reader.skip(".") || reader.skip(",") {
                    guard let fraction = reader.fractionInMilliseconds() else { return nil }
                    millisecond = fraction
                }
            }
            secondOfDay = hour * 3600 + minute * 60 + second
            if reader.skip("Z") {
                zoneOffset = 0
            } else if let sign = reader.sign() {
                guard let hours = reader.number(digits: 2), hours < 24 else { return nil }
                var minutes = 0
                if !reader.atEnd {
                    _ = reader.skip(":")
                    guard let value = reader.number(digits: 2), value < 60 else { return nil }
                    minutes = value
                }
                zoneOffset = sign * (hours * 3600 + minutes * 60)
            }
            guard reader.atEnd else { return nil }
        }
        let seconds = Int64(daysSince1970(year: year, month: month, day: day)) * 86_400
            + Int64(secondOfDay - zoneOffset)
        return seconds * 1000 + Int64(millisecond)
    }

    /// Whole seconds since 1970 (rounded down, as decimals are) for the texts `milliseconds` reads.
    package static func seconds(_ text: String) -> Int64? {
        milliseconds(text).map { floorDivision($0, 1000).quotient }
    }

    /// `2026-11-29T06:52:42.123Z`; instants outside `millisecondRange` are clamped to it.
    package static func string(milliseconds: Int64) -> String {
        let (date, time, millisecond) = parts(milliseconds)
        return "\(date.year.padded(4))-\(date.month.padded(2))-\(date.day.padded(2))T"
            + "\(time.hour.padded(2)):\(time.minute.padded(2)):\(time.second.padded(2)).\(millisecond.padded(3))Z"
    }

    /// `20261129T065242Z` (whole seconds, no separators), as in run ids.
    package static func compactString(milliseconds: Int64) -> String {
        let (date, time, _) = parts(milliseconds)
        return "\(date.year.padded(4))\(date.month.padded(2))\(date.day.padded(2))T"
            + "\(time.hour.padded(2))\(time.minute.padded(2))\(time.second.padded(2))Z"
    }

    private static func parts(_ milliseconds: Int64)
        -> (date: (year: Int, month: Int, day: Int), time: (hour: Int, minute: Int, second: Int), millisecond: Int) {
        let clamped = min(max(milliseconds, millisecondRange.lowerBound), millisecondRange.upperBound)
        let (seconds, millisecond) = floorDivision(clamped, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let time = (hour: Int(secondOfDay / 3600), minute: Int(secondOfDay % 3600 / 60), second: Int(secondOfDay % 60))
        return (civilDate(daysSince1970: Int(days)), time, Int(millisecond))
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = (value % divisor + divisor) % divisor
        return ((value - remainder) / divisor, remainder)
    }

    private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Proleptic Gregorian calendar in 400-year eras of 146,097 days, with years starting on
    // March 1st so that the leap day is the last day of a year (H. Hinnant, "chrono-Compatible
    // Low-Level Date Algorithms"). Day 0 is 1970-01-01, which is day 719,468 from 0000-03-01.

    private static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
        let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private struct Reader {
        var bytes: [UInt8]
        var position = 0
        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard !atEnd, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        /// +1 or -1 for a `+` or `-`, consumed; nil otherwise.
        mutating func sign() -> Int? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }

        /// Exactly `digits` ASCII digits as a number.
        mutating func number(digits: Int) -> Int? {
            guard bytes.count - position >= digits else { return nil }
            var value = 0
            for byte in bytes[position ..< position + digits] {
                guard (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += digits
            return value
        }

        /// One or more digits after the decimal mark, as whole milliseconds (rounded down).
        mutating func fractionInMilliseconds() -> Int? {
            var value = 0, count = 0
            while !atEnd, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[position]) {
                if count < 3 { value = value * 10 + Int(bytes[position] - UInt8(ascii: "0")) }
                count += 1
                position += 1
            }
            guard count > 0 else { return nil }
            for _ in min(count, 3) ..< 3 { value *= 10 }
            return value
        }
    }
}

private extension Int {
    /// Decimal with leading zeros to `width` digits (a minus sign in front when negative).
    func padded(_ width: Int) -> String {
        let digits = String(magnitude)
        let zeros = String(repeating: "0", count: Swift.max(0, width - digits.count))
        return (self < 0 ? "-" : "") + zeros + digits
    }
}
