// The one JSON dialect of reports: pretty, sorted keys, and non-finite numbers (a diverged
// loss) written as the strings "NaN", "Infinity", "-Infinity" instead of failing.

import Foundation

public enum ReportCoding {
    public static let nan = "NaN"
    public static let infinity = "Infinity"
    public static let negativeInfinity = "-Infinity"

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return decoder
    }
}
