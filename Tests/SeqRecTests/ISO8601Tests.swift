import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The hand-written ISO 8601 reader and writer against Foundation's calendar arithmetic, and
// the texts it must refuse.

@Test func iso8601ReadsWhatFoundationReadsAcrossTheCalendar() throws {
    var generator = SystemRandomNumberGenerator()
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
    for _ in 0 ..< 2000 {
        let milliseconds = Int64.random(in: -2_208_988_800_000 ... 4_102_444_800_000, using: &generator)  // 1900 ... 2100
        let text = ISO8601.string(milliseconds: milliseconds)
        #expect(ISO8601.milliseconds(text) == milliseconds, "\(text)")
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.year ?? -1, parts.month ?? -1, parts.day ?? -1,
                              parts.hour ?? -1, parts.minute ?? -1, parts.second ?? -1,
                              Int(((milliseconds % 1000) + 1000) % 1000))
        #expect(text == expected)
    }
}

@Test func iso8601ReadsDatesTimesFractionsAndZones() {
    let noon = Int64(1_706_702_400_000)  // 2024-01-31T12:00:00Z
    #expect(ISO8601.milliseconds("2024-01-31") == noon - 12 * 3_600_000)
    #expect(ISO8601.milliseconds("2024-01-31T12:00:00Z") == noon)
    #expect(ISO8601.milliseconds("2024-01-31 12:00:00") == noon)
    #expect(ISO8601.milliseconds("2024-01-31T12:00") == noon)
    #expect(ISO8601.milliseconds("2024-01-31T12:00:00.5Z") == noon + 500)
    #expect(ISO8601.milliseconds("2024-01-31T12:00:00,125") == noon + 125)
    #expect(ISO8601.milliseconds("2024-01-31T12:00:00." + String(repeating: "9", count: 10_000) + "Z") == noon + 999)
    #expect(ISO8601.milliseconds("2024-01-31T14:30:00+02:30") == noon)
    #expect(ISO8601.milliseconds("2024-01-31T09:00:00-0300") == noon)
    #expect(ISO8601.milliseconds("2024-01-31T13:00:00+01") == noon)
    #expect(ISO8601.milliseconds("2000-02-29") != nil)
    #expect(ISO8601.milliseconds("0000-01-01T00:00:00Z") == ISO8601.millisecondRange.lowerBound)
    #expect(ISO8601.milliseconds("9999-12-31T23:59:59.999Z") == ISO8601.millisecondRange.upperBound)
    #expect(ISO8601.compactString(milliseconds: noon + 999) == "20240131T120000Z")
    #expect(ISO8601.string(milliseconds: .max) == "9999-12-31T23:59:59.999Z")
    #expect(ISO8601.string(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
}

@Test(arguments: ["", "yesterday", "2024", "2024-1-31", "2024-13-01", "2023-02-29", "1900-02-29", "2024-04-31",
                  "2024-01-31T", "2024-01-31T24:00:00", "2024-01-31T12:60", "2024-01-31T12:00:60", "2024-01-31T12:00:00.",
                  "2024-01-31T12:00:00ZZ", "2024-01-31T12:00:00+24:00", "2024-01-31T12:00:00+01:", "2024-01-31x",
                  "+2024-01-31", "２０２４-01-31"])
func iso8601RefusesWhatIsNotADate(_ text: String) {
    #expect(ISO8601.milliseconds(text) == nil)
}

@Test func aReportTimeReadAndWrittenIsTheSameText() throws {
    for text in ["2026-11-29T03:00:00.005Z", "2026-11-29T03:00:00.999Z", "1969-12-31T23:59:59.001Z"] {
        #expect(Timestamp(parsing: text)?.description == text)
    }
    #expect(Timestamp(parsing: "2026-11-29T03:00:00.0059Z")?.description == "2026-11-29T03:00:00.005Z")
    #expect(Timestamp(Date(timeIntervalSince1970: .infinity)).description == "9999-12-31T23:59:59.999Z")
}

@Test func aReportWhoseStartTimeIsNotADateIsRefusedWithTheText() throws {
    let fixture = fuzzRegressions.appendingPathComponent("report/started-at-five-milliseconds")
    let text = try String(contentsOf: fixture, encoding: .utf8)
        .replacingOccurrences(of: "2026-11-29T03:00:00.005Z", with: "2026-02-30T03:00:00Z")
    #expect {
        _ = try ReportReader.decode(Data(text.utf8), path: "r.json")
    } throws: { error in
        "\(error)" == "'r.json' is not a seqrec report: expected an ISO 8601 UTC time, found '2026-02-30T03:00:00Z' at started_at"
    }
}
