import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// TensorBoard event files: CRC-32C against published vectors, each event's bytes against what
// TensorBoard's own protobuf classes serialize (hex produced with the `tensorboard` package,
// Python protobuf), TFRecord framing read back, and a run's event file. The reader check with
// TensorBoard itself is scripts/check_tensorboard.py (in CI).

private func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return result
}

/// The records of a TFRecord file, each CRC checked; nil if any framing is wrong.
private func records(_ data: [UInt8]) -> [[UInt8]]? {
    var result: [[UInt8]] = []
    var offset = 0
    func word<T: FixedWidthInteger>(_ type: T.Type, at position: Int) -> T {
        data[position..<position + MemoryLayout<T>.size].reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }
    while offset < data.count {
        guard offset + 12 <= data.count else { return nil }
        let length = Int(word(UInt64.self, at: offset))
        guard word(UInt32.self, at: offset + 8) == CRC32C.masked(data[offset..<offset + 8]),
              offset + 16 + length <= data.count else { return nil }
        let payload = Array(data[offset + 12..<offset + 12 + length])
        guard word(UInt32.self, at: offset + 12 + length) == CRC32C.masked(payload) else { return nil }
        result.append(payload)
        offset += 16 + length
    }
    return result
}

@Test func crc32cMatchesPublishedVectors() {
    // RFC 3720 (iSCSI) appendix B.4 and the common check value.
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum(Array(0..<32)) == 0x46DD_794E)
    #expect(CRC32C.checksum([]) == 0)
    // TFRecord's mask: rotate right 15, add 0xa282ead8.
    let crc = CRC32C.checksum(Array("123456789".utf8))
    #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
}

@Test func eventsEncodeAsTensorBoardsProtobufClassesDo() {
    #expect(TensorBoardEvent.fileVersion(wallTime: 1_700_000_000) == bytes(hex: "0900000040fc54d9411a0d627261696e2e4576656e743a32"))
    #expect(TensorBoardEvent.scalars([("train/loss", 0.25)], step: 3, wallTime: 1_700_000_000.5)
            == bytes(hex: "0900002040fc54d94110032a130a110a0a747261696e2f6c6f7373150000803e"))
    #expect(TensorBoardEvent.sessionStart(step: 7, wallTime: 5) == bytes(hex: "09000000000000144010073a020801"))
    #expect(TensorBoardEvent.hparamsStart([("model.cell", .string("lstm"))], group: "lstm50", startTime: 1_700_000_000,
                                          wallTime: 1_700_000_000)
            == bytes(hex: "0900000040fc54d9412a600a5e0a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f42060801120212004a360a340a0768706172616d7312291a270a140a0a6d6f64656c2e63656c6c12061a046c73746d22066c73746d35302900000040fc54d941"))
    #expect(TensorBoardEvent.hparamsStart([("seed", .number(42))], group: "g", startTime: 2, wallTime: 1)
            == bytes(hex: "09000000000000f03f2a580a560a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f42060801120212004a2e0a2c0a0768706172616d7312211a1f0a110a04736565641209110000000000004540220167290000000000000040"))
    #expect(TensorBoardEvent.hparamsEnd(succeeded: true, endTime: 1_700_000_100, wallTime: 1_700_000_100)
            == bytes(hex: "0900000059fc54d9412a420a400a1a5f68706172616d735f2f73657373696f6e5f656e645f696e666f42060801120212004a1a0a180a0768706172616d73120d220b08011100000059fc54d941"))
}

@Test func tfRecordFramingReadsBackAndACorruptByteIsCaught() {
    let payloads: [[UInt8]] = [[], Array("brain.Event:2".utf8), [UInt8](repeating: 7, count: 300)]
    var file = payloads.flatMap(TensorBoardEvent.record)
    #expect(records(file) == payloads)
    file[file.count - 20] ^= 1
    #expect(records(file) == nil)
}

@Test func settingsBecomeHParamsColumns() {
    let settings = ConfigValue.mapping([
        ConfigField("seed", .unsigned(42)),
        ConfigField("model", .mapping([ConfigField("cell", .string("gru")), ConfigField("dropout", .double(0.2))])),
        ConfigField("evaluation", .mapping([ConfigField("metrics", .list([.string("hr@10"), .string("ndcg@10")])),
                                            ConfigField("exclude_seen", .bool(true))])),
        ConfigField("dataset", .mapping([ConfigField("path", .null)])),
        ConfigField("output", .mapping([ConfigField("dir", .string("results/x"))])),
    ])
    let columns = TensorBoardLog.hparams(settings)
    #expect(columns.map(\.name) == ["seed", "model.cell", "model.dropout", "evaluation.metrics", "evaluation.exclude_seen"])
    #expect(columns.map(\.value) == [.number(42), .string("gru"), .number(0.2), .string("[hr@10, ndcg@10]"), .bool(true)])
}

/// A run writes one event file, recorded with its SHA-256 in the report's `files`; its records
/// are the header, one scalars event per epoch with the report's losses, the test metrics and
/// the session end. `output.tensorboard: false` writes none and is recorded; the default is
/// left out of the resolved config, so hashes of configs without the key stay as they were.
@Test func aRunWritesItsEventFileAndTheKeyTurnsItOff() throws {
    let directory = try DataFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let config = ConfigFixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/e2e/tiny.yaml").path
    var spec = try ConfigLoader.load(path: config, overrides: ["training.epochs=2", "output.dir=\(directory.appendingPathComponent("on").path)"])
    #expect(!spec.resolvedJSON().contains("tensorboard"))
    let outcome = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: config), datasets: DatasetCache())
    #expect(outcome.status == .ok, "\(outcome.message)")
    let run = directory.appendingPathComponent("on")
    let names = TensorBoardLog.eventFiles(in: run)
    try #require(names.count == 1)
    let report = try ReportReader.read(run.appendingPathComponent("report.json"))
    let data = try Data(contentsOf: run.appendingPathComponent(names[0]))
    #expect(report.files?[names[0]] == SHA256.hex(data))
    let events = try #require(records([UInt8](data)))
    // version, hparams start, epoch 1, epoch 2, test, hparams end
    #expect(events.count == 6)
    let lossBits = report.history.map { withUnsafeBytes(of: Float($0.trainLoss).bitPattern.littleEndian) { Array($0) } }
    for (epoch, bits) in zip([2, 3], lossBits) {
        #expect(events[epoch].containsSubsequence(Array("train/loss".utf8) + [0x15] + bits))
    }

    spec = try ConfigLoader.load(path: config, overrides: ["training.epochs=1", "output.tensorboard=false",
                                                           "output.dir=\(directory.appendingPathComponent("off").path)"])
    #expect(spec.resolvedYAML().contains("  tensorboard: false\n"))
    #expect(ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: config), datasets: DatasetCache()).status == .ok)
    #expect(TensorBoardLog.eventFiles(in: directory.appendingPathComponent("off")).isEmpty)
}

private extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
    }
}

/// A directory the log cannot create its file in: no log, one note that says so, and the run
/// goes on without it.
@Test func anEventFileThatCannotBeCreatedIsANoteNotAFailure() {
    let missing = URL(fileURLWithPath: "/nonexistent-seqrec-\(UUID().uuidString)")
    var notes: [String] = []
    let log = TensorBoardLog(directory: missing, firstEpoch: 1, settings: .mapping([]), group: "g", note: { notes.append($0) })
    #expect(log == nil && notes.count == 1)
    let prefix = "tensorboard: cannot create \(missing.path)/events.out.tfevents."
    #expect(notes.first?.hasPrefix(prefix) == true, "\(notes)")
    #expect(notes.first?.hasSuffix(".seqrec: No such file or directory; no event file for this run") == true, "\(notes)")
}
