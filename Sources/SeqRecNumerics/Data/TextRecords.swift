// Splitting interaction files into records and fields at the byte level: plain lines for
// the fixed formats, and RFC 4180 quoting (quoted delimiters, doubled quotes, quoted line
// breaks) for csv/tsv. Line numbers are 1-based and count physical lines.

/// One record of a text file: its fields and the physical line it starts on.
struct TextRecord {
    var line: Int
    var fields: [String]
}

enum TextRecords {
    /// Physical lines without their terminator (`\n` or `\r\n`), skipping blank lines.
    /// A UTF-8 byte-order mark at the start is dropped.
    static func lines(_ bytes: [UInt8], body: (_ line: Int, _ text: ArraySlice<UInt8>) throws -> Void) rethrows {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lineNumber = 1
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            let text = bytes[start..<contentEnd]
            if !isBlank(text) { try body(lineNumber, text) }
            lineNumber += 1
            start = end + 1
        }
    }

    /// Fields separated by one byte (e.g. tab).
    static func split(_ text: ArraySlice<UInt8>, byte separator: UInt8) -> [String] {
        text.split(separator: separator, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Fields separated by a multi-byte separator (e.g. `::`).
    static func split(_ text: ArraySlice<UInt8>, separator: [UInt8]) -> [String] {
        var fields: [String] = []
        var fieldStart = text.startIndex
        var index = text.startIndex
        while index + separator.count <= text.endIndex {
            if text[index..<(index + separator.count)].elementsEqual(separator) {
                fields.append(String(decoding: text[fieldStart..<index], as: UTF8.self))
                index += separator.count
                fieldStart = index
            } else {
                index += 1
            }
        }
        fields.append(String(decoding: text[fieldStart..<text.endIndex], as: UTF8.self))
        return fields
    }

    /// Fields separated by runs of spaces/tabs; leading and trailing whitespace ignored.
    static func splitWhitespace(_ text: ArraySlice<UInt8>) -> [String] {
        text.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// Quote-aware records (RFC 4180) separated by `delimiter`; blank lines are skipped.
    /// A quoted field may contain the delimiter, `""` for a quote, and line breaks.
    static func delimitedRecords(_ bytes: [UInt8], delimiter: UInt8, file: String) throws -> [TextRecord] {
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        var records: [TextRecord] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var fieldWasQuoted = false
        var line = 1
        var recordLine = 1
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0

        func endField() {
            let text = String(decoding: field, as: UTF8.self)
            fields.append(fieldWasQuoted ? text : text.trimmingSpaces())
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRecord() {
            endField()
            let isBlankRecord = fields.count == 1 && fields[0].isEmpty
            if !isBlankRecord { records.append(TextRecord(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == quote {
                    if index + 1 < bytes.count && bytes[index + 1] == quote {
                        field.append(quote)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == newline { line += 1 }
                    field.append(byte)
                }
            } else if byte == quote && field.allSatisfy({ $0 == UInt8(ascii: " ") }) {
                field.removeAll(keepingCapacity: true)
                inQuotes = true
                fieldWasQuoted = true
            } else if byte == delimiter {
                endField()
            } else if byte == newline {
                endRecord()
                line += 1
                recordLine = line
            } else if byte == carriageReturn && index + 1 < bytes.count && bytes[index + 1] == newline {
                // The \n that follows ends the record.
            } else if !(fieldWasQuoted && (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t"))) {
                field.append(byte)
            }
            index += 1
        }
        if inQuotes {
            throw DataError.malformedRow(file: file, line: recordLine, reason: "unterminated quoted field")
        }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }

    private static func isBlank(_ text: ArraySlice<UInt8>) -> Bool {
        text.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
