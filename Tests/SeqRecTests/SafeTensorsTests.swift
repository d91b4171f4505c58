// The safetensors reader and writer against files written by the Python library
// (Tests/Fixtures/safetensors/, made by Tests/Fixtures/make_safetensors.py): values and metadata
// read exactly, the writer's bytes equal the library's, damaged files give exact messages, and no
// truncation or byte flip crashes the reader.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private enum SafeTensorsFixtures {
    static let directory = ConfigFixtures.fixtures.appendingPathComponent("safetensors")

    struct Expected: Decodable {
        struct Tensor: Decodable { let dtype: String; let shape: [Int]; let hex: String; let values: [Value]? }
        struct File: Decodable { let metadata: [String: String]; let tensors: [String: Tensor]; let byte_identical: Bool }
        let library_version: String
        let files: [String: File]
    }

    /// F32 values are JSON numbers, I64 values strings (exact beyond 2^53).
    enum Value: Decodable {
        case number(Double), text(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .text(text) } else { self = .number(try container.decode(Double.self)) }
        }
    }

    struct Model: Decodable {
        let cell: String, layers: Int, embedding: Int, hidden: Int, items: Int
        let metadata: [String: String]
        let parameters: [String: [Int]]
        let inputs: [Int32], lengths: [Int], next_logits: [Float]
    }

    static let expected: Expected = {
        let data = (try? Data(contentsOf: directory.appendingPathComponent("expected.json"))) ?? Data()
        return (try? JSONDecoder().decode(Expected.self, from: data)) ?? Expected(library_version: "missing", files: [:])
    }()

    static func bytes(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }
}

@Suite struct SafeTensorsTests {
    static let libraryFiles = ["numpy-empty.safetensors", "numpy-mixed.safetensors", "torch-no-metadata.safetensors",
                               "torch-ordered.safetensors", "torch-unpadded.safetensors"]

    @Test func fixtureListCoversEveryLibraryFile() {
        #expect(Set(SafeTensorsFixtures.expected.files.keys) == Set(Self.libraryFiles))
    }

    @Test(arguments: libraryFiles)
    func libraryFileReadsExactly(name: String) throws {
        let expected = try #require(SafeTensorsFixtures.expected.files[name])
        let file = try SafeTensorsFile(data: SafeTensorsFixtures.bytes(name))
        #expect(file.metadata == expected.metadata)
        #expect(Set(file.tensors.keys.map { Array($0.utf8) }) == Set(expected.tensors.keys.map { Array($0.utf8) }))
        for (tensorName, want) in expected.tensors {
            let tensor = try #require(file.tensors[tensorName])
            #expect(tensor.dtype.rawValue == want.dtype, "\(tensorName)")
            #expect(tensor.shape == want.shape, "\(tensorName)")
            #expect(SafeTensorsFixtures.hex(tensor.bytes) == want.hex, "\(tensorName)")
            switch tensor.dtype {
            case .f32:
                let values = try #require(want.values).map { value -> Float in
                    if case .number(let number) = value { return Float(number) } else { return .nan }
                }
                #expect(try tensor.floats().map(\.bitPattern) == values.map(\.bitPattern), "\(tensorName)")
            case .i64:
                let values = try #require(want.values).map { value -> Int64? in
                    if case .text(let text) = value { return Int64(text) } else { return nil }
                }
                #expect(try tensor.int64s() == values, "\(tensorName)")
            default:
                #expect(want.values == nil)
            }
        }
    }

    @Test func mixedFileHasTheTrickyValues() throws {
        let file = try SafeTensorsFile(data: SafeTensorsFixtures.bytes("numpy-mixed.safetensors"))
        #expect(try file.tensors["item_ids"]?.int64s() == [0, -1, 9_007_199_254_740_993, .min])
        #expect(try file.tensors["scalar"]?.floats() == [2.5])
        #expect(file.tensors["scalar"]?.shape == [])
        #expect(file.tensors["empty"]?.shape == [0, 3])
        #expect(file.tensors["empty"]?.bytes == [])
        #expect(try file.tensors["vector"]?.floats().map(\.bitPattern)
            == [Float(1.5), -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -2.25].map(\.bitPattern))
        #expect(file.metadata["note"] == "héllo — ✓ 日本語")
        #expect(file.metadata["config"] == #"{"cell": "lstm", "sizes": [4, 3], "q": "a\"b"}"#)
        #expect(file.metadata["lines"] == "tab\there\nnewline")
        #expect(file.metadata["empty"] == "")
    }

    /// The library's metadata order is a Rust HashMap's (different every run), so with two or more
    /// entries only the length and the data section can be compared byte for byte.
    @Test(arguments: libraryFiles)
    func writerReproducesLibraryBytes(name: String) throws {
        let expected = try #require(SafeTensorsFixtures.expected.files[name])
        let python = try SafeTensorsFixtures.bytes(name)
        // Built from the sidecar, independently of the reader.
        var built = SafeTensorsFile(metadata: expected.metadata)
        for (tensorName, want) in expected.tensors {
            let dtype = try #require(SafeTensorsDType(rawValue: want.dtype))
            built.tensors[tensorName] = try SafeTensor(dtype: dtype, shape: want.shape, bytes: bytes(fromHex: want.hex))
        }
        let written = try built.serialized()
        #expect(try SafeTensorsFile(data: python).serialized() == written)
        if expected.byte_identical {
            #expect(written == python)
        } else {
            #expect(written.count == python.count)
            let headerEnd = 8 + headerLength(python)
            #expect(written.prefix(8) == python.prefix(8))
            #expect(written.dropFirst(headerEnd) == python.dropFirst(headerEnd))
            #expect(try SafeTensorsFile(data: written) == SafeTensorsFile(data: python))
        }
    }

    @Test func writerMatchesTheReferenceUnitTestBytes() throws {
        // safetensors/src/tensor.rs, test_serialization and test_empty.
        let attention = SafeTensorsFile(tensors: ["attn.0": try SafeTensor(shape: [1, 2, 3], floats: [0, 1, 2, 3, 4, 5])])
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        #expect(try attention.serialized() == Data([64, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8)
            + [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]))
        #expect(try SafeTensorsFile().serialized() == Data([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]))
        let framework = SafeTensorsFile(metadata: ["framework": "pt"])
        #expect(try framework.serialized() == Data([40, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"__metadata__":{"framework":"pt"}}     "#.utf8)))
    }

    @Test func roundTripKeepsEveryDtypeBitAndString() throws {
        var file = SafeTensorsFile(metadata: ["z": "last", "a": "ü \"q\" \\ \u{0}\u{1F}\u{7F}\n", "m": #"{"x": [1]}"#])
        file.tensors["nan.payload"] = try SafeTensor(shape: [3], floats: [Float(bitPattern: 0x7FC0_1234), -.infinity, -0.0])
        file.tensors["ids"] = try SafeTensor(shape: [2, 2], int64s: [.min, .max, 0, -7])
        file.tensors["counts"] = try SafeTensor(shape: [1], int32s: [.min])
        file.tensors["wide"] = try SafeTensor(shape: [], doubles: [.pi])
        file.tensors["empty"] = try SafeTensor(shape: [2, 0], floats: [])
        file.tensors["tab\tquote\"é"] = try SafeTensor(dtype: .bf16, shape: [3], bytes: [1, 2, 3, 4, 5, 6])
        for dtype in SafeTensorsDType.allCases {
            file.tensors["all." + dtype.rawValue] = try SafeTensor(dtype: dtype, shape: [1, 1],
                                                                  bytes: (0..<dtype.byteSize).map { UInt8($0 + 1) })
        }
        let bytes = try file.serialized()
        #expect(headerLength(bytes) % 8 == 0)
        let back = try SafeTensorsFile(data: bytes)
        #expect(back == file)
        #expect(try back.tensors["wide"]?.doubles() == [.pi])
        #expect(try back.tensors["nan.payload"]?.floats().first?.bitPattern == 0x7FC0_1234)

        // Same content inserted in another order: same bytes (metadata keys sorted).
        var reordered = SafeTensorsFile()
        for key in file.metadata.keys.sorted().reversed() { reordered.metadata[key] = file.metadata[key] }
        for key in file.tensors.keys.sorted().reversed() { reordered.tensors[key] = file.tensors[key] }
        #expect(try reordered.serialized() == bytes)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-safetensors-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try file.write(to: url)
        #expect(try SafeTensorsFile.read(contentsOf: url) == file)
    }

    /// Tensors by dtype rank, then name bytes ("e\u{301}" before "f", although Swift's `<` says
    /// otherwise); metadata keys by their bytes; the header padded to a multiple of 8.
    @Test func headerOrderAndPadding() throws {
        let file = SafeTensorsFile(tensors: [
            "b": try SafeTensor(shape: [1], floats: [1]), "a": try SafeTensor(shape: [1], int64s: [2]),
            "f": try SafeTensor(shape: [1], floats: [3]), "e\u{301}": try SafeTensor(shape: [1], floats: [4]),
            "flag": try SafeTensor(dtype: .bool, shape: [1], bytes: [1]),
        ], metadata: ["f": "1", "e\u{301}": "2", "B": "3", "a": "4"])
        let data = try file.serialized()
        let header = #"{"__metadata__":{"B":"3","a":"4","e\#u{301}":"2","f":"1"},"#
            + #""a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"#
            + #""e\#u{301}":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},"f":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"#
            + #""flag":{"dtype":"BOOL","shape":[1],"data_offsets":[20,21]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        #expect(headerLength(data) == padded.utf8.count)
        #expect(String(decoding: data.dropFirst(8).prefix(headerLength(data)), as: UTF8.self) == padded)
        #expect(data.count == 8 + padded.utf8.count + 21)
    }

    static let corruptCases: [(String, String)] = [
        ("too-short", "safetensors file too short: 5 bytes, need at least 8 for the header length"),
        ("header-too-large", "safetensors header length 100000001 exceeds the 100000000-byte limit"),
        ("header-past-end", "safetensors header length 1000 is larger than the 62 bytes after the length field"),
        ("header-not-utf8", "safetensors header is not valid UTF-8"),
        ("not-an-object", "safetensors header is not a JSON object"),
        ("bad-json", "safetensors header is not valid JSON at header byte 53: expected ',' or '}' in the header"),
        ("unknown-dtype", "tensor \"a\": unsupported dtype \"F31\""),
        ("size-mismatch", "tensor \"a\": F32 [3] needs 12 bytes but data_offsets span 8"),
        ("offsets-out-of-range", "tensor \"a\": data_offsets [0, 8] exceed the 4-byte data buffer"),
        ("overlapping-offsets", "tensor \"b\": data starts at 4, inside tensor \"a\" which ends at 8"),
        ("hole-in-buffer", "tensor \"b\": data starts at 12, leaving a hole after byte 8"),
        ("trailing-bytes", "safetensors data buffer has 12 bytes but the tensors end at 8"),
        ("reversed-offsets", "tensor \"a\": data_offsets [8, 0] end before they begin"),
        ("shape-overflow", "tensor \"a\": shape times dtype size overflows"),
        ("duplicate-tensor", "safetensors header has duplicate key \"a\" in the header"),
        ("metadata-not-string", "safetensors metadata value for \"epoch\" is not a string"),
        ("missing-field", "tensor \"a\": missing field \"shape\""),
        ("negative-offset", "safetensors header is not valid JSON at header byte 48: expected a non-negative integer in the data_offsets of tensor \"a\""),
        ("equivalent-names", "safetensors header keys U+E9 and U+65 U+301 in the header are the same Swift string (Unicode canonical equivalence)"),
    ]

    @Test func everyCorruptFixtureHasACase() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: SafeTensorsFixtures.directory.appendingPathComponent("corrupt").path)
        #expect(Set(names) == Set(Self.corruptCases.map { $0.0 + ".safetensors" }))
    }

    @Test(arguments: corruptCases)
    func corruptFileGivesItsExactError(name: String, expected: String) {
        let url = SafeTensorsFixtures.directory.appendingPathComponent("corrupt/\(name).safetensors")
        #expect(SafeTensorsFixtures.message { _ = try SafeTensorsFile.read(contentsOf: url) } == expected)
    }

    @Test func headerGrammarEdgeCases() {
        func message(_ header: String, data: [UInt8] = []) -> String {
            let bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8) + data
            return SafeTensorsFixtures.message { _ = try SafeTensorsFile(data: Data(bytes)) }
        }
        let tensor = { (shape: String, offsets: String) in #"{"t":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"# }
        #expect(message(tensor("[01]", "[0,4]"), data: [0, 0, 0, 0])
            == "safetensors header is not valid JSON at header byte 29: expected a plain integer (no leading zero, fraction or exponent) in the shape of tensor \"t\"")
        #expect(message(tensor("[1e0]", "[0,4]")).hasSuffix("expected a plain integer (no leading zero, fraction or exponent) in the shape of tensor \"t\""))
        #expect(message(tensor("[1]", "[0,99999999999999999999]"))
            == "safetensors header is not valid JSON at header byte 50: expected an integer no larger than \(Int.max) in the data_offsets of tensor \"t\"")
        #expect(message(tensor("[1]", "[0,4,8]")) == "tensor \"t\": data_offsets has 3 numbers, not 2")
        #expect(message(#"{"t":{"dtype":"F32","shape":[],"data_offsets":[0,4],"extra":1}}"#) == "tensor \"t\": unknown field \"extra\"")
        #expect(message(#"{"t":{"dtype":"F32","dtype":"F32"}}"#) == "safetensors header has duplicate key \"dtype\" in tensor \"t\"")
        #expect(message(#"{"__metadata__":{"k":"a","k":"b"}}"#) == "safetensors header has duplicate key \"k\" in \"__metadata__\"")
        #expect(message(#"{"\ud800":{}}"#) == "safetensors header is not valid JSON at header byte 8: expected a low surrogate after \\ud800")
        #expect(message("{\"a\tb\":{}}") == "safetensors header is not valid JSON at header byte 3: expected an escaped control character in a string")
        #expect(message("{} x") == "safetensors header is not valid JSON at header byte 3: expected the end of the header after its closing '}'")
        #expect(message("") == "safetensors header is not a JSON object")
        #expect(message("\u{FEFF}{}") == "safetensors header is not a JSON object")
        #expect(message(#"{"t":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}"#) == "tensor \"t\": unsupported dtype \"F4\"")
        #expect(message(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#,
                        data: [1, 2, 3]) == "tensor \"b\": data starts at 2, leaving a hole after byte 1")
        #expect(message(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#,
                        data: [1, 2]) == "tensor \"b\": data starts at 1, inside tensor \"a\" which ends at 2")
        // Accepted: null metadata, whitespace anywhere, escaped names, a surrogate pair, zero-sized tensors sharing an offset.
        let lenient = " {\n\"__metadata__\" : null ,\t\"\\u00e9\\ud83d\\ude00\\/\" : {\"data_offsets\":[0,0],\"shape\":[0],\"dtype\":\"I64\"},"
            + "\"b\":{\"dtype\":\"U8\",\"shape\":[0,5],\"data_offsets\":[0,0]}}  "
        #expect(message(lenient) == "no error")
        let bytes = withUnsafeBytes(of: UInt64(lenient.utf8.count).littleEndian, Array.init) + Array(lenient.utf8)
        let parsed = try? SafeTensorsFile(data: Data(bytes))
        #expect(parsed?.metadata == [:])
        #expect(parsed?.tensors["\u{E9}\u{1F600}/"]?.shape == [0])
        #expect(parsed?.tensors["b"]?.dtype == .u8)
    }

    @Test func typedAccessorsAndConstructorsCheckTheirInputs() throws {
        let floats = try SafeTensor(shape: [2], floats: [1, 2])
        #expect(SafeTensorsFixtures.message { _ = try floats.int64s() } == "tensor has dtype F32, not I64")
        #expect(SafeTensorsFixtures.message { _ = try SafeTensor(shape: [2, 2], floats: [1, 2, 3]) } == "shape [2, 2] does not hold 3 values")
        #expect(SafeTensorsFixtures.message { _ = try SafeTensor(shape: [-1], floats: []) } == "shape [-1] does not hold 0 values")
        #expect(SafeTensorsFixtures.message { _ = try SafeTensor(dtype: .i64, shape: [1], bytes: [1, 2, 3]) } == "I64 [1] does not hold 3 bytes")
        #expect(SafeTensorsFixtures.message { _ = try SafeTensor(shape: [Int.max, 2], floats: []) } == "shape [\(Int.max), 2] does not hold 0 values")
        let reserved = SafeTensorsFile(tensors: ["__metadata__": floats])
        #expect(SafeTensorsFixtures.message { _ = try reserved.serialized() } == "a tensor cannot be named \"__metadata__\"")
        #expect(try SafeTensor(shape: [3], int64s: [1, -2, 3]).bytes == [1, 0, 0, 0, 0, 0, 0, 0, 254, 255, 255, 255, 255, 255, 255, 255, 3, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func everyTruncationThrowsAndNoneCrashes() throws {
        for name in ["torch-ordered.safetensors", "numpy-mixed.safetensors", "model-lstm.safetensors"] {
            let full = [UInt8](try SafeTensorsFixtures.bytes(name))
            var thrown = 0
            for length in 0..<full.count {
                do { _ = try SafeTensorsFile(data: Data(full[0..<length])) } catch { thrown += 1 }
            }
            #expect(thrown == full.count, "\(name)")
        }
    }

    /// Random byte flips, insertions and deletions: the reader may accept or refuse, never crash; what it
    /// accepts must survive a write/read round trip.
    @Test func randomDamageNeverCrashes() throws {
        let original = [UInt8](try SafeTensorsFixtures.bytes("torch-ordered.safetensors"))
        var rng = SeededGenerator(seed: 2024)
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0...rng.nextInt(below: 4) {
                let position = rng.nextInt(below: bytes.count)
                switch rng.nextInt(below: 3) {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
                default: bytes.remove(at: position)
                }
            }
            if let file = try? SafeTensorsFile(data: Data(bytes)) {
                accepted += 1
                #expect(try SafeTensorsFile(data: file.serialized()) == file)
            }
        }
        #expect(accepted < 3000)
    }

    @Test(arguments: ["lstm", "gru", "rnn"])
    func modelStateDictHasPyTorchNamesAndShapes(cell: String) throws {
        let json = try SafeTensorsFixtures.bytes("model-\(cell).json")
        let model = try JSONDecoder().decode(SafeTensorsFixtures.Model.self, from: json)
        let file = try SafeTensorsFile(data: SafeTensorsFixtures.bytes("model-\(cell).safetensors"))
        #expect(file.metadata == model.metadata)
        #expect(file.metadata["cell"] == cell)
        let gates = ["lstm": 4, "gru": 3, "rnn": 1][cell] ?? 0
        var names = ["embedding.weight", "output.weight", "output.bias"]
        for layer in 0..<model.layers {
            names += ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map { "rnn.\($0)_l\(layer)" }
        }
        #expect(Set(file.tensors.keys) == Set(names))
        #expect(Set(model.parameters.keys) == Set(names))
        let vocabulary = model.items + 1
        #expect(file.tensors["embedding.weight"]?.shape == [vocabulary, model.embedding])
        #expect(file.tensors["rnn.weight_ih_l0"]?.shape == [gates * model.hidden, model.embedding])
        #expect(file.tensors["rnn.weight_hh_l0"]?.shape == [gates * model.hidden, model.hidden])
        #expect(file.tensors["output.weight"]?.shape == [vocabulary, model.hidden])
        for (name, shape) in model.parameters {
            #expect(file.tensors[name]?.shape == shape, "\(name)")
            #expect(file.tensors[name]?.dtype == .f32, "\(name)")
        }
        // padding_idx=0 keeps the padding row at zero.
        let embedding = try #require(try file.tensors["embedding.weight"]?.floats())
        #expect(embedding.prefix(model.embedding).allSatisfy { $0 == 0 })
        #expect(embedding.dropFirst(model.embedding).contains { $0 != 0 })
        #expect(model.next_logits.count == model.lengths.count * vocabulary)
    }
}

/// The header length N from the first 8 bytes (little-endian).
private func headerLength(_ data: Data) -> Int {
    data.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
}

private func bytes(fromHex hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16) }
}
