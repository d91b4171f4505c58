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
//                      the rest as metadata (Checkpoint/TrainingStateFile, which also checks
//                      it). Deleted when the run finishes with status ok.

import Foundation

public enum RunCheckpoint {
    static let modelFormat = RunFiles.modelFormat

    // MARK: Model weights

    /// The model file: every parameter under its PyTorch name, plus metadata.
    package static func modelFile(_ parameters: [Parameter], configJSON: String, configHash: String, epoch: Int?,
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
    package static func readModel(at url: URL, configHash: String? = nil) throws(CheckpointError) -> SafeTensorsFile {
        try readHashedModel(at: url, configHash: configHash).file
    }

    /// As `readModel`, with `RunFiles.modelSHA256` of the bytes read.
    package static func readHashedModel(at url: URL, configHash: String? = nil) throws(CheckpointError)
        -> (file: SafeTensorsFile, sha256: String) {
        let (file, sha256) = try RunFiles.readHashed(url, kind: "model checkpoint")
        guard file.metadata["format"] == modelFormat else {
            throw .wrongFormat(path: url.path, expected: modelFormat, found: file.metadata["format"])
        }
        if let configHash, let found = file.metadata["config_hash"], found != configHash {
            throw .otherConfig(path: url.path, expected: configHash, found: found)
        }
        return (file, sha256)
    }

    /// Overwrites `parameters`' values from `file`: every parameter must be present with its
    /// shape and finite values.
    public static func load(_ file: SafeTensorsFile, into parameters: [Parameter], path: String) throws(CheckpointError) {
        for parameter in parameters {
            guard let tensor = file.tensors[parameter.name] else { throw .missingTensor(path: path, name: parameter.name) }
            guard tensor.shape == parameter.shape else {
                throw .wrongShape(path: path, name: parameter.name, expected: parameter.shape, found: tensor.shape)
            }
            let values: [Float]
            do {
                values = try tensor.floats()
            } catch {
                throw .unreadable(path: path, reason: "\(parameter.name): \(error)")
            }
            // NaN scores would rank items in index order and read back as zero metrics.
            if let problem = NonFiniteValues(values) {
                throw .nonFinite(path: path, name: parameter.name, count: problem.count, index: problem.index,
                                 value: problem.value, parameter: nil)
            }
            parameter.setValues(values)
        }
        let known = Set(parameters.map(\.name))
        if let extra = file.tensors.keys.sorted().first(where: { !known.contains($0) }) {
            throw .unexpectedTensor(path: path, name: extra)
        }
    }

    // MARK: Id maps

    package struct IdMaps: Codable, Equatable, Sendable {
        /// items[id] is the raw id of dense item id (index 0: padding).
        package var items: [String]
        /// users[id] is the raw id of dense user id.
        package var users: [String]

        package init(items: [String], users: [String]) {
            self.items = items
            self.users = users
        }
    }

    package static func writeIds(_ maps: IdMaps, in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(maps), to: directory.appendingPathComponent(RunFiles.ids))
    }

    package static func readIds(in directory: URL) throws(CheckpointError) -> IdMaps {
        let url = directory.appendingPathComponent(RunFiles.ids)
        let data = try RunFiles.readBytes(url, kind: "id maps")
        do {
            return try JSONDecoder().decode(IdMaps.self, from: data)
        } catch {
            throw .unreadable(path: url.path, reason: ReportReader.describe(error))
        }
    }

    // MARK: Training state

    package static func stateFile(_ state: TrainingState, arena: ParameterArena, configHash: String) throws -> SafeTensorsFile {
        try TrainingStateFile.file(state, arena: arena, configHash: configHash)
    }

    public static func writeState(_ state: TrainingState, arena: ParameterArena, configHash: String, in directory: URL) throws {
        let file = try stateFile(state, arena: arena, configHash: configHash)
        try AtomicFile.write(try file.serialized(), to: directory.appendingPathComponent(RunFiles.state))
    }

    /// Reads a saved state of `spec` for a model with `arena`'s layout and `batchesPerEpoch`
    /// optimizer steps per epoch, checked as `runner plan` checks it (TrainingStateCheck).
    public static func readState(at url: URL, spec: ExperimentSpec, arena: ParameterArena,
                                 batchesPerEpoch: Int) throws(CheckpointError) -> TrainingState {
        try TrainingStateFile.read(at: url, spec: spec, run: TrainingStateFile.RunContext(arena: arena, batchesPerEpoch: batchesPerEpoch))
    }
}
