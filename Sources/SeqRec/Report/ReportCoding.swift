// The one JSON dialect of reports: pretty, sorted keys, and non-finite numbers (a diverged
// loss) written as the strings "NaN", "Infinity", "-Infinity" instead of failing.

import Foundation

package enum ReportCoding {
    package static let nan = "NaN"
    package static let infinity = "Infinity"
    package static let negativeInfinity = "-Infinity"

    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return encoder
    }

    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return decoder
    }
}
