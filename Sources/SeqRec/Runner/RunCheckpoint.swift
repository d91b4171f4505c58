// What a run keeps beside its report, all written atomically (a reader sees the previous
// complete file or the new one, never a part):
//
//   model.safetensors  the weights the report's test metrics were computed with (the best
//                      validation epoch under early stopping, updated whenever it improves),
//                      under PyTorch's state_dict names and layouts, so that
//                      safetensors.torch.load_file + load_state_dict on nn.Embedding /
//                      nn.LSTM|GRU|RNN / nn.Linear modules gives the same scores. Metadata:
//                      format, the resolved config (JSON), its hash, the epoch, the folder
//                      relative data paths start from.
//   ids.json           dense id -> raw dataset id, for items (index 0 = padding) and users.
//   state.safetensors  the training state after the last complete epoch (TrainingState):
//                      arena-shaped weights, best weights and optimizer buffers as tensors,
//                      the rest as metadata. Deleted when the run finishes with status ok.

import Foundation

public enum RunCheckpoint {
    static let modelFormat = RunFiles.modelFormat
    static let stateFormat = RunFiles.stateFormat

    // MARK: Model weights

    /// The model file: every parameter under its PyTorch name, plus metadata.
    public static func modelFile(_ parameters: [Parameter], configJSON: String, configHash: String, epoch: Int?,
                                 dataDirectory: String? = nil) throws -> SafeTensorsFile {
        var tensors: [String: SafeTensor] = [:]
        for parameter in parameters {
            tensors[parameter.name] = try SafeTensor(shape: parameter.shape, floats: parameter.valueArray)
        }
        var metadata = ["format": modelFormat, "config": configJSON, "config_hash": configHash]
        if let epoch { metadata["epoch"] = String(epoch) }
        if let dataDirectory { metadata["data_directory"] = dataDirectory }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// `dataDirectory`: what the config's relative data paths are relative to (its file's folder).
    public static func writeModel(_ parameters: [Parameter], configJSON: String, configHash: String, epoch: Int?,
                                  dataDirectory: String? = nil, in directory: URL) throws {
        let file = try modelFile(parameters, configJSON: configJSON, configHash: configHash, epoch: epoch,
                                 dataDirectory: dataDirectory)
        try AtomicFile.write(try file.serialized(), to: directory.appendingPathComponent(RunFiles.model))
    }

    /// Reads a model file and checks it belongs to `configHash` (when given).
    public static func readModel(at url: URL, configHash: String? = nil) throws(CheckpointError) -> SafeTensorsFile {
        let file = try read(url, kind: "model checkpoint")
        guard file.metadata["format"] == modelFormat else {
            throw .wrongFormat(path: url.path, expected: modelFormat, found: file.metadata["format"])
        }
        if let configHash, let found = file.metadata["config_hash"], found != configHash {
            throw .otherConfig(path: url.path, expected: configHash, found: found)
        }
        return file
    }

    /// Overwrites `parameters`' values from `file`: every parameter must be present with its shape.
    public static func load(_ file: SafeTensorsFile, into parameters: [Parameter], path: String) throws(CheckpointError) {
        for parameter in parameters {
            guard let tensor = file.tensors[parameter.name] else { throw .missingTensor(path: path, name: parameter.name) }
            guard tensor.shape == parameter.shape else {
                throw .wrongShape(path: path, name: parameter.name, expected: parameter.shape, found: tensor.shape)
            }
            do {
                parameter.setValues(try tensor.floats())
            } catch {
                throw .unreadable(path: path, reason: "\(parameter.name): \(error)")
            }
        }
        let known = Set(parameters.map(\.name))
        if let extra = file.tensors.keys.sorted().first(where: { !known.contains($0) }) {
            throw .unexpectedTensor(path: path, name: extra)
        }
    }

    // MARK: Id maps

    public struct IdMaps: Codable, Equatable, Sendable {
        /// items[id] is the raw id of dense item id (index 0: padding).
        public var items: [String]
        /// users[id] is the raw id of dense user id.
        public var users: [String]

        public init(items: [String], users: [String]) {
            self.items = items
            self.users = users
        }
    }

    public static func writeIds(_ maps: IdMaps, in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(maps), to: directory.appendingPathComponent(RunFiles.ids))
    }

    public static func readIds(in directory: URL) throws(CheckpointError) -> IdMaps {
        let url = directory.appendingPathComponent(RunFiles.ids)
        let data = try fileBytes(url, kind: "id maps")
        do {
            return try JSONDecoder().decode(IdMaps.self, from: data)
        } catch {
            throw .unreadable(path: url.path, reason: ReportReader.describe(error))
        }
    }

    // MARK: Training state

    public static func stateFile(_ state: TrainingState, arena: ParameterArena, configHash: String) throws -> SafeTensorsFile {
        var tensors = ["weights": try SafeTensor(shape: [state.weights.count], floats: state.weights)]
        if let best = state.bestWeights { tensors["best_weights"] = try SafeTensor(shape: [best.count], floats: best) }
        for (name, values) in state.optimizer.buffers {
            tensors["optimizer.\(name)"] = try SafeTensor(shape: [values.count], floats: values)
        }
        let early = state.earlyStopping.map {
            StoppingRecord(bestValue: $0.bestValue, bestEpoch: $0.bestEpoch, passesWithoutImprovement: $0.passesWithoutImprovement)
        }
        let layout = arena.parameters.map { LayoutRecord(name: $0.name, shape: $0.shape, offset: $0.offset) }
        let history = try ReportCoding.encoder().encode(state.history)
        let metadata: [String: String] = [
            "format": stateFormat,
            "config_hash": configHash,
            "epoch": String(state.epoch),
            "finished": String(state.finished),
            "message": state.message,
            "optimizer_step": String(state.optimizer.step),
            "random_shuffle": try json(state.shuffleRandom.state),
            "random_dropout": try json(state.dropoutRandom.map(\.state)),
            "early_stopping": try json(early),
            "layout": try json(layout),
            "history": String(decoding: history, as: UTF8.self),
            "training_seconds": String(state.trainingSeconds),
            "validation_seconds": String(state.validationSeconds),
        ]
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    public static func writeState(_ state: TrainingState, arena: ParameterArena, configHash: String, in directory: URL) throws {
        let file = try stateFile(state, arena: arena, configHash: configHash)
        try AtomicFile.write(try file.serialized(), to: directory.appendingPathComponent(RunFiles.state))
    }

    /// Reads a saved state for a model with `arena`'s layout and `earlyStopping`'s settings.
    public static func readState(at url: URL, arena: ParameterArena, configHash: String,
                                 earlyStopping spec: EarlyStoppingSpec?) throws(CheckpointError) -> TrainingState {
        let file = try read(url, kind: "training state")
        let metadata = file.metadata
        guard metadata["format"] == stateFormat else {
            throw .wrongFormat(path: url.path, expected: stateFormat, found: metadata["format"])
        }
        guard let found = metadata["config_hash"] else { throw .unreadable(path: url.path, reason: "metadata lacks 'config_hash'") }
        guard found == configHash else { throw .otherConfig(path: url.path, expected: configHash, found: found) }
        func field<T: Decodable>(_ key: String, _ type: T.Type) throws(CheckpointError) -> T {
            guard let text = metadata[key] else { throw .unreadable(path: url.path, reason: "metadata lacks '\(key)'") }
            do {
                return try ReportCoding.decoder().decode(T.self, from: Data(text.utf8))
            } catch {
                throw .unreadable(path: url.path, reason: "metadata '\(key)': \(error)")
            }
        }
        func floats(_ name: String) throws(CheckpointError) -> [Float] {
            guard let tensor = file.tensors[name] else { throw .missingTensor(path: url.path, name: name) }
            guard tensor.shape == [arena.count] else {
                throw .wrongShape(path: url.path, name: name, expected: [arena.count], found: tensor.shape)
            }
            do { return try tensor.floats() } catch { throw .unreadable(path: url.path, reason: "\(name): \(error)") }
        }
        let layout = try field("layout", [LayoutRecord].self)
        guard layout == arena.parameters.map({ LayoutRecord(name: $0.name, shape: $0.shape, offset: $0.offset) }) else {
            throw .unreadable(path: url.path, reason: "the saved parameter layout differs from the model's")
        }
        guard let epoch = metadata["epoch"].flatMap(Int.init), let step = metadata["optimizer_step"].flatMap(Int.init),
              let finished = metadata["finished"].flatMap(Bool.init) else {
            throw .unreadable(path: url.path, reason: "metadata lacks a valid epoch, optimizer_step or finished")
        }
        guard let shuffle = SeededGenerator(state: try field("random_shuffle", [UInt64].self)) else {
            throw .unreadable(path: url.path, reason: "invalid random_shuffle state")
        }
        var dropout: [SeededGenerator] = []
        for words in try field("random_dropout", [[UInt64]].self) {
            guard let generator = SeededGenerator(state: words) else { throw .unreadable(path: url.path, reason: "invalid random_dropout state") }
            dropout.append(generator)
        }
        var buffers: [String: [Float]] = [:]
        for name in file.tensors.keys where name.hasPrefix("optimizer.") {
            buffers[String(name.dropFirst("optimizer.".count))] = try floats(name)
        }
        let record = try field("early_stopping", StoppingRecord?.self)
        let stopper = spec.map {
            EarlyStopping(metric: $0.metric, patience: $0.patience, bestValue: record?.bestValue, bestEpoch: record?.bestEpoch,
                          passesWithoutImprovement: record?.passesWithoutImprovement ?? 0)
        }
        return TrainingState(
            epoch: epoch, finished: finished, message: metadata["message"] ?? "", weights: try floats("weights"),
            bestWeights: file.tensors["best_weights"] == nil ? nil : try floats("best_weights"),
            optimizer: OptimizerState(step: step, buffers: buffers), shuffleRandom: shuffle, dropoutRandom: dropout,
            earlyStopping: stopper, history: try field("history", [EpochRecord].self),
            trainingSeconds: metadata["training_seconds"].flatMap(Double.init) ?? 0,
            validationSeconds: metadata["validation_seconds"].flatMap(Double.init) ?? 0)
    }

    // MARK: Helpers

    private struct StoppingRecord: Codable {
        var bestValue: Double?
        var bestEpoch: Int?
        var passesWithoutImprovement: Int
    }

    private struct LayoutRecord: Codable, Equatable {
        var name: String
        var shape: [Int]
        var offset: Int
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try ReportCoding.encoder().encode(value), as: UTF8.self)
    }

    private static func read(_ url: URL, kind: String) throws(CheckpointError) -> SafeTensorsFile {
        let data = try fileBytes(url, kind: kind)
        do {
            return try SafeTensorsFile(data: data)
        } catch {
            throw .unreadable(path: url.path, reason: "\(error)")
        }
    }

    /// The bytes of a run file, which must be a regular file (a FIFO would block the run).
    private static func fileBytes(_ url: URL, kind: String) throws(CheckpointError) -> Data {
        do throws(RegularFileError) {
            return try RegularFile.read(url)
        } catch {
            if error.isMissing { throw .missing(path: url.path, kind: kind) }
            throw .cannotRead(path: url.path, kind: kind, reason: error.reason)
        }
    }
}

/// A checkpoint that cannot be used; the message names the file and what is wrong.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case missing(path: String, kind: String)
    /// The path is not a regular file, or the system refuses to read it.
    case cannotRead(path: String, kind: String, reason: String)
    case unreadable(path: String, reason: String)
    case wrongFormat(path: String, expected: String, found: String?)
    case otherConfig(path: String, expected: String, found: String)
    case missingTensor(path: String, name: String)
    case unexpectedTensor(path: String, name: String)
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let path, let kind): "\(path): no \(kind) (the file does not exist)"
        case .cannotRead(let path, let kind, let reason): "\(path): cannot read the \(kind): \(reason)"
        case .unreadable(let path, let reason): "\(path): corrupt or truncated: \(reason)"
        case .wrongFormat(let path, let expected, let found):
            "\(path): not a seqrec file of format \(expected) (format: \(found ?? "none"))"
        case .otherConfig(let path, let expected, let found):
            "\(path): written by another config (config hash \(found.prefix(12)), expected \(expected.prefix(12)))"
        case .missingTensor(let path, let name): "\(path): tensor '\(name)' is missing"
        case .unexpectedTensor(let path, let name): "\(path): unexpected tensor '\(name)' (not a parameter of this model)"
        case .wrongShape(let path, let name, let expected, let found):
            "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
        }
    }
}
