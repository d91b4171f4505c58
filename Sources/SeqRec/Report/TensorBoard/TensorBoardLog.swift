// A run's TensorBoard log: `tensorboard --logdir results` shows every run's curves (per epoch:
// training loss, learning rate, seconds, every validation metric) and, in the HParams
// dashboard, its resolved settings beside its test metrics.
//
// One event file per process that trains the run, `events.out.tfevents.<seconds>.<host>.<pid>.seqrec`,
// in the directory the run writes (the attempt's, while an attempt over a finished run is
// staged; it moves into place with the result). A resumed run starts a new file with a
// session-start marker at its first epoch, so TensorBoard drops what a killed process wrote for
// the epochs done again. Records are appended as each epoch ends: a kill leaves at most a
// truncated last record, which readers skip. A write that fails (a full disk) ends the log with
// one note; it never fails the run. TensorBoard keeps the first HParams session end of a run,
// so one is written only for an ending a rerun would not change: ok, or diverged.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

package final class TensorBoardLog {
    /// The prefix TensorBoard looks for (it reads every file whose name contains "tfevents").
    static let filePrefix = "events.out.tfevents."

    static func isEventFile(_ name: String) -> Bool { name.hasPrefix(filePrefix) }

    package let fileName: String
    private var descriptor: Int32
    private let note: (String) -> Void

    /// Creates the event file in `directory` and writes its header: the file version, a
    /// session-start marker when the run continues at `firstEpoch` > 1, and the HParams
    /// session start (`settings` flattened to dotted keys; `group` names the run). Nil, after
    /// a note, when the file cannot be created.
    package init?(directory: URL, firstEpoch: Int, settings: ConfigValue, group: String, note: @escaping (String) -> Void) {
        let now = Date().timeIntervalSince1970
        let host = ProcessInfo.processInfo.hostName.map { $0 == "/" ? "_" : $0 }
        // Readers take a directory's files in name order: this file's number is past every
        // earlier one's, even within the same second, so a resumed run's records come last.
        let number = max(Int(now), (Self.eventFiles(in: directory).compactMap(Self.fileNumber).max() ?? 0) + 1)
        let name = "\(Self.filePrefix)\(number).\(String(host)).\(getpid()).seqrec"
        let path = directory.appendingPathComponent(name).path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            note("tensorboard: cannot create \(path.escapedForTerminal): \(String(cString: strerror(errno))); no event file for this run")
            return nil
        }
        self.fileName = name
        self.descriptor = descriptor
        self.note = note
        var header = TensorBoardEvent.record(TensorBoardEvent.fileVersion(wallTime: now))
        if firstEpoch > 1 { header += TensorBoardEvent.record(TensorBoardEvent.sessionStart(step: firstEpoch, wallTime: now)) }
        header += TensorBoardEvent.record(TensorBoardEvent.hparamsStart(Self.hparams(settings), group: group,
                                                                        startTime: now, wallTime: now))
        append(header)
    }

    deinit { closeFile() }

    /// One epoch's scalars at step `record.epoch`.
    package func epoch(_ record: EpochRecord) {
        var values: [(tag: String, value: Double)] = [
            ("train/loss", record.trainLoss), ("train/learning_rate", record.learningRate),
            ("train/seconds", record.seconds), ("train/targets_per_second", record.targetsPerSecond),
        ]
        for (metric, value) in (record.validation ?? [:]).sorted(by: { $0.key < $1.key }) {
            values.append(("validation/\(metric)", value))
        }
        append(TensorBoardEvent.record(TensorBoardEvent.scalars(values, step: record.epoch, wallTime: Date().timeIntervalSince1970)))
    }

    /// The test metrics at step `step` (the last epoch; 0 for a baseline) and the HParams
    /// session end; then the file is closed.
    package func finish(test: [String: Double], step: Int, succeeded: Bool) {
        let now = Date().timeIntervalSince1970
        var bytes: [UInt8] = []
        if !test.isEmpty {
            let values = test.sorted(by: { $0.key < $1.key }).map { (tag: "test/\($0.key)", value: $0.value) }
            bytes += TensorBoardEvent.record(TensorBoardEvent.scalars(values, step: step, wallTime: now))
        }
        bytes += TensorBoardEvent.record(TensorBoardEvent.hparamsEnd(succeeded: succeeded, endTime: now, wallTime: now))
        append(bytes)
        closeFile()
    }

    /// Removes the event files of earlier processes (a run that starts again at epoch 1).
    package static func removeEventFiles(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where isEventFile(name) { unlink(directory.appendingPathComponent(name).path) }
    }

    /// The number after the prefix (seconds since 1970 when the file was made).
    static func fileNumber(_ name: String) -> Int? {
        guard isEventFile(name) else { return nil }
        return name.dropFirst(filePrefix.count).split(separator: ".").first.flatMap { Int($0) }
    }

    /// The event files in `directory`, by name.
    package static func eventFiles(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter(isEventFile).sorted()
    }

    /// The settings as HParams columns: dotted keys, numbers, strings and booleans; lists as
    /// their JSON text; nulls and `output.*` (where results go, not how they were made) left out.
    static func hparams(_ settings: ConfigValue, prefix: String = "") -> [(name: String, value: TensorBoardEvent.HParamValue)] {
        switch settings {
        case .mapping(let fields):
            return fields.flatMap { field -> [(name: String, value: TensorBoardEvent.HParamValue)] in
                let name = prefix.isEmpty ? field.key : "\(prefix).\(field.key)"
                return name == "output" ? [] : hparams(field.value, prefix: name)
            }
        case .null: return []
        case .bool(let flag): return [(prefix, .bool(flag))]
        case .int(let number): return [(prefix, .number(Double(number)))]
        case .unsigned(let number): return [(prefix, .number(Double(number)))]
        case .double(let number): return [(prefix, .number(number))]
        case .string(let text): return [(prefix, .string(text))]
        case .list(let items): return [(prefix, .string("[" + items.map(\.yamlScalar).joined(separator: ", ") + "]"))]
        }
    }

    private func append(_ bytes: [UInt8]) {
        guard descriptor >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                note("tensorboard: cannot write \(fileName): \(String(cString: strerror(errno))); the event file stops here")
                closeFile()
                return
            }
            offset += written
        }
    }

    private func closeFile() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }
}
