// The safetensors weight format (huggingface/safetensors), read and written with Foundation only.
//
//   bytes 0..<8        N, the header length, unsigned 64-bit little-endian
//   bytes 8..<8+N      UTF-8 JSON object, optionally padded with trailing spaces:
//                        {"__metadata__": {"key": "value", ...},              (optional, strings only)
//                         "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//   bytes 8+N..<end    the data buffer; offsets are relative to its start, the tensors tile it
//                      exactly (no holes, no overlaps, the last one ends at the end of the file),
//                      values are little-endian and row-major (C order).
//
// The writer reproduces the reference writer (safetensors/src/tensor.rs, `prepare`) byte for byte:
// tensors sorted by dtype rank descending (the order of the reference's `Dtype` enum, so the widest
// alignment comes first), then by name bytes; compact JSON with "__metadata__" first, then the
// tensors in data order, each as dtype, shape, data_offsets; the header padded with spaces to a
// multiple of 8 so the data is 8-byte aligned. One difference cannot be avoided: the reference
// stores metadata in a Rust HashMap, so with two or more entries its key order changes from run to
// run; this writer sorts the keys by their UTF-8 bytes. It also omits an empty metadata map (Python's
// `metadata=None`).
//
// The reader trusts nothing: every length, offset and product is checked (overflow-safe) before
// any byte is sliced, and each failure is a `SafeTensorsError` that names the tensor and the numbers.

import Foundation

/// Element types in the reference's enum order (increasing alignment); `rank` drives the writer's sort.
/// Sub-byte types (F4, F6_E2M3, F6_E3M2) are not supported and read as `unsupportedDtype`.
package enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL", u8 = "U8", i8 = "I8"
    case f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0", f8e4m3fnuz = "F8_E4M3FNUZ", f8e5m2fnuz = "F8_E5M2FNUZ"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case c64 = "C64", f64 = "F64", i64 = "I64", u64 = "U64"

    package var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .c64, .f64, .i64, .u64: return 8
        }
    }

    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

package enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    case fileTooShort(byteCount: Int)
    case headerTooLarge(declared: UInt64)
    case headerPastEnd(declared: UInt64, available: Int)
    case headerNotUTF8
    case headerNotObject
    case invalidJSON(headerOffset: Int, expected: String)
    case duplicateKey(String, in: String)
    case equivalentKeys(String, String, in: String)
    case invalidTensorEntry(name: String, reason: String)
    case unsupportedDtype(name: String, dtype: String)
    case metadataNotString(key: String)
    case sizeOverflow(name: String)
    case offsetsReversed(name: String, begin: Int, end: Int)
    case sizeMismatch(name: String, dtype: SafeTensorsDType, shape: [Int], expectedBytes: Int, actualBytes: Int)
    case offsetsOutOfBounds(name: String, begin: Int, end: Int, bufferSize: Int)
    case overlappingOffsets(name: String, begin: Int, previous: String, previousEnd: Int)
    case holeBeforeTensor(name: String, begin: Int, expectedBegin: Int)
    case trailingBytes(dataEnd: Int, bufferSize: Int)
    case reservedName
    case wrongDtype(expected: SafeTensorsDType, actual: SafeTensorsDType)
    case valueCountMismatch(shape: [Int], values: Int)
    case byteCountMismatch(dtype: SafeTensorsDType, shape: [Int], byteCount: Int)

    package var description: String {
        switch self {
        case .fileTooShort(let count):
            return "safetensors file too short: \(count) bytes, need at least 8 for the header length"
        case .headerTooLarge(let declared):
            return "safetensors header length \(declared) exceeds the \(SafeTensorsFile.maxHeaderSize)-byte limit"
        case .headerPastEnd(let declared, let available):
            return "safetensors header length \(declared) is larger than the \(available) bytes after the length field"
        case .headerNotUTF8:
            return "safetensors header is not valid UTF-8"
        case .headerNotObject:
            return "safetensors header is not a JSON object"
        case .invalidJSON(let offset, let expected):
            return "safetensors header is not valid JSON at header byte \(offset): expected \(expected)"
        case .duplicateKey(let key, let container):
            return "safetensors header has duplicate key \"\(key)\" in \(container)"
        case .equivalentKeys(let first, let second, let container):
            let scalars = { (key: String) in key.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ") }
            return "safetensors header keys \(scalars(first)) and \(scalars(second)) in \(container) are the same Swift string "
                + "(Unicode canonical equivalence)"
        case .invalidTensorEntry(let name, let reason):
            return "tensor \"\(name)\": \(reason)"
        case .unsupportedDtype(let name, let dtype):
            return "tensor \"\(name)\": unsupported dtype \"\(dtype)\""
        case .metadataNotString(let key):
            return "safetensors metadata value for \"\(key)\" is not a string"
        case .sizeOverflow(let name):
            return "tensor \"\(name)\": shape times dtype size overflows"
        case .offsetsReversed(let name, let begin, let end):
            return "tensor \"\(name)\": data_offsets [\(begin), \(end)] end before they begin"
        case .sizeMismatch(let name, let dtype, let shape, let expected, let actual):
            return "tensor \"\(name)\": \(dtype.rawValue) \(shape) needs \(expected) bytes but data_offsets span \(actual)"
        case .offsetsOutOfBounds(let name, let begin, let end, let size):
            return "tensor \"\(name)\": data_offsets [\(begin), \(end)] exceed the \(size)-byte data buffer"
        case .overlappingOffsets(let name, let begin, let previous, let previousEnd):
            return "tensor \"\(name)\": data starts at \(begin), inside tensor \"\(previous)\" which ends at \(previousEnd)"
        case .holeBeforeTensor(let name, let begin, let expected):
            return "tensor \"\(name)\": data starts at \(begin), leaving a hole after byte \(expected)"
        case .trailingBytes(let end, let size):
            return "safetensors data buffer has \(size) bytes but the tensors end at \(end)"
        case .reservedName:
            return "a tensor cannot be named \"__metadata__\""
        case .wrongDtype(let expected, let actual):
            return "tensor has dtype \(actual.rawValue), not \(expected.rawValue)"
        case .valueCountMismatch(let shape, let values):
            return "shape \(shape) does not hold \(values) values"
        case .byteCountMismatch(let dtype, let shape, let count):
            return "\(dtype.rawValue) \(shape) does not hold \(count) bytes"
        }
    }
}

/// One tensor: dtype, shape and its raw little-endian bytes, consistent by construction.
package struct SafeTensor: Equatable, Sendable {
    package let dtype: SafeTensorsDType
    package let shape: [Int]
    package let bytes: [UInt8]

    /// Product of the dimensions (1 for a scalar, shape []); nil on overflow or a negative dimension.
    static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    package var elementCount: Int { bytes.count / dtype.byteSize }

    package init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) throws {
        guard let count = Self.elementCount(of: shape), case let (needed, false) = count.multipliedReportingOverflow(by: dtype.byteSize),
              needed == bytes.count
        else { throw SafeTensorsError.byteCountMismatch(dtype: dtype, shape: shape, byteCount: bytes.count) }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    package init(shape: [Int], floats: [Float]) throws { try self.init(.f32, shape, floats.map(\.bitPattern)) }
    package init(shape: [Int], doubles: [Double]) throws { try self.init(.f64, shape, doubles.map(\.bitPattern)) }
    package init(shape: [Int], int32s: [Int32]) throws { try self.init(.i32, shape, int32s) }
    package init(shape: [Int], int64s: [Int64]) throws { try self.init(.i64, shape, int64s) }

    package func floats() throws -> [Float] { try decoded(.f32, UInt32.self).map(Float.init(bitPattern:)) }
    package func doubles() throws -> [Double] { try decoded(.f64, UInt64.self).map(Double.init(bitPattern:)) }
    package func int32s() throws -> [Int32] { try decoded(.i32, Int32.self) }
    package func int64s() throws -> [Int64] { try decoded(.i64, Int64.self) }

    private init<T: FixedWidthInteger>(_ dtype: SafeTensorsDType, _ shape: [Int], _ values: [T]) throws {
        guard Self.elementCount(of: shape) == values.count
        else { throw SafeTensorsError.valueCountMismatch(shape: shape, values: values.count) }
        #if _endian(little)
        // The in-memory bytes are the file's: one copy (a checkpoint holds millions of values).
        let bytes = values.withUnsafeBytes { Array($0) }
        #else
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * MemoryLayout<T>.size)
        for value in values { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
        try self.init(dtype: dtype, shape: shape, bytes: bytes)
    }

    private func decoded<T: FixedWidthInteger>(_ expected: SafeTensorsDType, _: T.Type) throws -> [T] {
        guard dtype == expected else { throw SafeTensorsError.wrongDtype(expected: expected, actual: dtype) }
        let size = MemoryLayout<T>.size
        #if _endian(little)
        let count = bytes.count / size
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                if let source = raw.baseAddress, let destination = buffer.baseAddress {
                    UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * size)
                }
            }
            initialized = count
        }
        #else
        return bytes.withUnsafeBytes { raw in
            (0..<raw.count / size).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
        }
        #endif
    }
}

/// The content of one .safetensors file: named tensors and string metadata.
public struct SafeTensorsFile: Equatable, Sendable {
    /// The reference reader's cap on the header length (100 MB).
    package static let maxHeaderSize = 100_000_000

    package var tensors: [String: SafeTensor]
    package var metadata: [String: String]

    package init(tensors: [String: SafeTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file at `url`, which must be a regular file (see RegularFile).
    package static func read(contentsOf url: URL) throws -> SafeTensorsFile {
        try SafeTensorsFile(data: RegularFile.read(url))
    }

    /// Only the metadata, from the header (the tensors' bytes are not read): for listings of
    /// many files. The header is validated as by `init(data:)`; the data buffer is not.
    package static func readMetadata(contentsOf url: URL) throws -> [String: String] {
        let handle = try RegularFile.open(url.path)
        let prefix = try handle.read(upToCount: 8)
        guard prefix.count == 8 else { throw SafeTensorsError.fileTooShort(byteCount: prefix.count) }
        let declared = prefix.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard declared <= UInt64(maxHeaderSize) else { throw SafeTensorsError.headerTooLarge(declared: declared) }
        let header = [UInt8](try handle.read(upToCount: Int(declared)))
        guard header.count == Int(declared) else {
            throw SafeTensorsError.headerPastEnd(declared: declared, available: header.count)
        }
        guard String(validating: header, as: UTF8.self) != nil else { throw SafeTensorsError.headerNotUTF8 }
        var parser = HeaderParser(bytes: header)
        return try parser.parseHeader().metadata
    }

    package func write(to url: URL) throws {
        try serialized().write(to: url, options: .atomic)
    }

    // MARK: Writer

    package func serialized() throws -> Data {
        guard tensors["__metadata__"] == nil else { throw SafeTensorsError.reservedName }
        let ordered = tensors.sorted { left, right in
            left.value.dtype.rank != right.value.dtype.rank
                ? left.value.dtype.rank > right.value.dtype.rank
                : left.key.utf8.lexicographicallyPrecedes(right.key.utf8)
        }
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            members.append(#""__metadata__":{"# + pairs.map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, tensor) in ordered {
            let end = offset + tensor.bytes.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            members.append(jsonString(name) + #":{"dtype":"\#(tensor.dtype.rawValue)","shape":[\#(shape)],"data_offsets":[\#(offset),\#(end)]}"#)
            offset = end
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for (_, tensor) in ordered { data.append(contentsOf: tensor.bytes) }
        return data
    }

    /// JSON string as serde_json writes it: only '"', '\' and control characters escaped.
    private func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: Reader

    package init(data: Data) throws {
        let file = [UInt8](data)
        guard file.count >= 8 else { throw SafeTensorsError.fileTooShort(byteCount: file.count) }
        let declared = file[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard declared <= UInt64(Self.maxHeaderSize) else { throw SafeTensorsError.headerTooLarge(declared: declared) }
        let headerLength = Int(declared)
        guard headerLength <= file.count - 8 else {
            throw SafeTensorsError.headerPastEnd(declared: declared, available: file.count - 8)
        }
        let header = Array(file[8..<8 + headerLength])
        guard String(validating: header, as: UTF8.self) != nil else { throw SafeTensorsError.headerNotUTF8 }
        var parser = HeaderParser(bytes: header)
        let (entries, metadata) = try parser.parseHeader()

        let bufferSize = file.count - 8 - headerLength
        var cursor = 0
        var previous = ""
        var tensors: [String: SafeTensor] = [:]
        // Data order, ties broken so that errors name the same tensor every time.
        for entry in entries.sorted(by: { ($0.begin, $0.end) != ($1.begin, $1.end)
                                          ? ($0.begin, $0.end) < ($1.begin, $1.end)
                                          : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            let name = entry.name
            guard let count = SafeTensor.elementCount(of: entry.shape),
                  case let (expected, false) = count.multipliedReportingOverflow(by: entry.dtype.byteSize)
            else { throw SafeTensorsError.sizeOverflow(name: name) }
            guard entry.end >= entry.begin else {
                throw SafeTensorsError.offsetsReversed(name: name, begin: entry.begin, end: entry.end)
            }
            guard entry.end - entry.begin == expected else {
                throw SafeTensorsError.sizeMismatch(name: name, dtype: entry.dtype, shape: entry.shape,
                                                    expectedBytes: expected, actualBytes: entry.end - entry.begin)
            }
            guard entry.end <= bufferSize else {
                throw SafeTensorsError.offsetsOutOfBounds(name: name, begin: entry.begin, end: entry.end, bufferSize: bufferSize)
            }
            if entry.begin < cursor {
                throw SafeTensorsError.overlappingOffsets(name: name, begin: entry.begin, previous: previous, previousEnd: cursor)
            }
            if entry.begin > cursor {
                throw SafeTensorsError.holeBeforeTensor(name: name, begin: entry.begin, expectedBegin: cursor)
            }
            let start = 8 + headerLength + entry.begin
            tensors[name] = try SafeTensor(dtype: entry.dtype, shape: entry.shape, bytes: Array(file[start..<start + expected]))
            cursor = entry.end
            previous = name
        }
        guard cursor == bufferSize else { throw SafeTensorsError.trailingBytes(dataEnd: cursor, bufferSize: bufferSize) }
        self.init(tensors: tensors, metadata: metadata)
    }
}

/// Keys of one JSON object. Swift compares strings by canonical equivalence, so "\u{E9}" and
/// "e\u{301}" would land on one dictionary entry although the file holds two names: refuse those.
private struct KeySet {
    let container: String
    var keys: [String: String] = [:]

    mutating func insert(_ key: String) throws {
        if let earlier = keys[key] {
            if Array(earlier.utf8) == Array(key.utf8) { throw SafeTensorsError.duplicateKey(key, in: container) }
            throw SafeTensorsError.equivalentKeys(earlier, key, in: container)
        }
        keys[key] = key
    }
}

/// A parser for exactly the header's schema (no generic JSON tree, so no recursion to exhaust).
private struct HeaderParser {
    struct Entry { var name: String; var dtype: SafeTensorsDType; var shape: [Int]; var begin: Int; var end: Int }

    let bytes: [UInt8]
    var position = 0

    mutating func parseHeader() throws -> (entries: [Entry], metadata: [String: String]) {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { throw SafeTensorsError.headerNotObject }
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        var seen = KeySet(container: "the header")
        var first = true
        while let key = try nextMember(first: &first, of: "the header") {
            try seen.insert(key)
            if key == "__metadata__" {
                metadata = try parseMetadata()
            } else {
                entries.append(try parseEntry(named: key))
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw error("the end of the header after its closing '}'") }
        return (entries, metadata)
    }

    private mutating func parseMetadata() throws -> [String: String] {
        skipWhitespace()
        if consume("null") { return [:] }
        guard peek() == UInt8(ascii: "{") else { throw error("an object or null for \"__metadata__\"") }
        var metadata: [String: String] = [:]
        var seen = KeySet(container: "\"__metadata__\"")
        var first = true
        while let key = try nextMember(first: &first, of: "\"__metadata__\"") {
            try seen.insert(key)
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw SafeTensorsError.metadataNotString(key: key) }
            metadata[key] = try parseString()
        }
        return metadata
    }

    private mutating func parseEntry(named name: String) throws -> Entry {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { throw error("an object for tensor \"\(name)\"") }
        var dtype: SafeTensorsDType?
        var shape: [Int]?
        var offsets: [Int]?
        var seen = KeySet(container: "tensor \"\(name)\"")
        var first = true
        while let key = try nextMember(first: &first, of: "tensor \"\(name)\"") {
            try seen.insert(key)
            switch key {
            case "dtype":
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw error("a string for the dtype of tensor \"\(name)\"") }
                let text = try parseString()
                guard let known = SafeTensorsDType(rawValue: text) else {
                    throw SafeTensorsError.unsupportedDtype(name: name, dtype: text)
                }
                dtype = known
            case "shape": shape = try parseIntegers("the shape of tensor \"\(name)\"")
            case "data_offsets": offsets = try parseIntegers("the data_offsets of tensor \"\(name)\"")
            default: throw SafeTensorsError.invalidTensorEntry(name: name, reason: "unknown field \"\(key)\"")
            }
        }
        guard let dtype else { throw SafeTensorsError.invalidTensorEntry(name: name, reason: "missing field \"dtype\"") }
        guard let shape else { throw SafeTensorsError.invalidTensorEntry(name: name, reason: "missing field \"shape\"") }
        guard let offsets else { throw SafeTensorsError.invalidTensorEntry(name: name, reason: "missing field \"data_offsets\"") }
        guard offsets.count == 2 else {
            throw SafeTensorsError.invalidTensorEntry(name: name, reason: "data_offsets has \(offsets.count) numbers, not 2")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// Reads '{' or ',' (or '}' to finish) and then `"key":`; returns nil at the closing brace.
    private mutating func nextMember(first: inout Bool, of container: String) throws -> String? {
        skipWhitespace()
        if first {
            guard consume("{") else { throw error("'{' to open \(container)") }
            first = false
            skipWhitespace()
            if consume("}") { return nil }
        } else {
            if consume("}") { return nil }
            guard consume(",") else { throw error("',' or '}' in \(container)") }
            skipWhitespace()
        }
        guard peek() == UInt8(ascii: "\"") else { throw error("a string key in \(container)") }
        let key = try parseString()
        skipWhitespace()
        guard consume(":") else { throw error("':' after key \"\(key)\"") }
        return key
    }

    /// An array of non-negative integers that fit in Int.
    private mutating func parseIntegers(_ what: String) throws -> [Int] {
        skipWhitespace()
        guard consume("[") else { throw error("'[' to open \(what)") }
        var values: [Int] = []
        skipWhitespace()
        if consume("]") { return values }
        repeat {
            skipWhitespace()
            values.append(try parseInteger(what))
            skipWhitespace()
        } while consume(",")
        guard consume("]") else { throw error("',' or ']' in \(what)") }
        return values
    }

    private mutating func parseInteger(_ what: String) throws -> Int {
        let start = position
        guard let first = peek(), isDigit(first) else { throw error("a non-negative integer in \(what)") }
        var value = 0
        while let byte = peek(), isDigit(byte) {
            let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (next, carried) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflowed && !carried else { throw error("an integer no larger than \(Int.max) in \(what)", at: start) }
            value = next
            position += 1
            if first == UInt8(ascii: "0") { break }  // JSON allows no leading zeros: "01" fails below
        }
        if let byte = peek(), isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw error("a plain integer (no leading zero, fraction or exponent) in \(what)", at: start)
        }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// A JSON string at `position` (which holds '"'), escapes decoded, surrogate pairs joined.
    private mutating func parseString() throws -> String {
        position += 1
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("a closing '\"'") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escape = peek() else { throw error("an escape character") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard consume("\\u") else { throw error("a low surrogate after \\u\(String(code, radix: 16))") }
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("a low surrogate (\\uDC00-\\uDFFF)") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("a Unicode scalar, not a lone surrogate") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("one of \" \\ / b f n r t u after '\\'")
                }
            case 0..<0x20:
                throw error("an escaped control character in a string", at: position - 1)
            default:
                out.append(byte)
            }
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = hexValue(byte) else { throw error("4 hex digits after \\u") }
            code = code << 4 | digit
            position += 1
        }
        return code
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func consume(_ literal: String) -> Bool {
        let expected = Array(literal.utf8)
        guard bytes.count - position >= expected.count, bytes[position..<position + expected.count].elementsEqual(expected)
        else { return false }
        position += expected.count
        return true
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private func error(_ expected: String, at offset: Int? = nil) -> SafeTensorsError {
        .invalidJSON(headerOffset: offset ?? position, expected: expected)
    }
}
