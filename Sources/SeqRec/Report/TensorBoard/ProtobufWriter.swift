// The few protocol-buffer encodings TensorBoard's event messages need, written by hand:
// varints, 64- and 32-bit little-endian numbers, and length-delimited fields (strings,
// bytes, nested messages). Fields are written in field-number order, as protobuf's own
// serializers do, so that an event encodes to the same bytes as Python's `SerializeToString`.

struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    private mutating func key(_ field: UInt64, _ type: WireType) {
        varint(field << 3 | type.rawValue)
    }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func int64(_ field: UInt64, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func enumeration(_ field: UInt64, _ value: Int) {
        int64(field, Int64(value))
    }

    mutating func bool(_ field: UInt64, _ value: Bool) {
        key(field, .varint)
        varint(value ? 1 : 0)
    }

    mutating func double(_ field: UInt64, _ value: Double) {
        key(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func float(_ field: UInt64, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func data(_ field: UInt64, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: UInt64, _ value: String) {
        data(field, Array(value.utf8))
    }

    mutating func message(_ field: UInt64, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        data(field, nested.bytes)
    }
}
