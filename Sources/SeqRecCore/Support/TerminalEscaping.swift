// Error messages quote what users wrote (config values, data fields, header names, paths).
// Printed raw, an escape sequence in that text would drive the terminal (recolour it, move
// the cursor, set the window title), and a bidi override would reorder the line. Every
// message that quotes user content goes through this one helper, which renders such
// characters as visible escapes: `\x1b`, `\n`, `\u{202e}`; bytes that are not UTF-8 become
// `\xff` (`escapingForTerminal(bytes:)`).
//
// Why `Support/`: Config and Data both quote user text, and `Support/` sits below both.

extension String {
    /// The text with control characters (C0 except tab, DEL, C1) and bidi controls written
    /// as escapes, so that printing it cannot change the terminal's state.
    public var escapedForTerminal: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var result = ""
        for scalar in unicodeScalars { Self.appendEscaped(scalar, to: &result) }
        return result
    }

    /// Text of several lines (an error that lists its causes) with each line escaped as
    /// `escapedForTerminal` and the line breaks kept, so the message reads as lines.
    public var escapedForTerminalByLine: String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).escapedForTerminal }.joined(separator: "\n")
    }

    /// Bytes as text for a message: valid UTF-8 as `escapedForTerminal`, every other byte as `\xNN`.
    public static func escapingForTerminal<Bytes: Collection>(bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var result = ""
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var pending = Array(bytes)[...]
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                appendEscaped(Unicode.UTF8.decode(encoded), to: &result)
                pending = pending.dropFirst(encoded.count)
            case .error(let length):
                for byte in pending.prefix(length) { result += "\\x" + hex(UInt32(byte)) }
                pending = pending.dropFirst(length)
            case .emptyInput:
                return result
            }
        }
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi controls
        default: return false
        }
    }

    private static func appendEscaped(_ scalar: Unicode.Scalar, to result: inout String) {
        guard needsEscape(scalar) else {
            result.unicodeScalars.append(scalar)
            return
        }
        switch scalar {
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        default:
            result += scalar.value <= 0xFF ? "\\x" + hex(scalar.value) : "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
