// state.safetensors <-> TrainingState. Arena-shaped weights, best weights and optimizer
// buffers are tensors; the rest is metadata. Reading decodes every field and then applies
// TrainingStateCheck, the one check a resuming run and `runner plan` share: a state that
// reads back here is one the run continues from.

import Foundation

package enum TrainingStateFile {
    /// Where one parameter sits in the arena-shaped tensors.
    package struct LayoutRecord: Codable, Equatable, Sendable {
        package var name: String
        package var shape: [Int]
        package var offset: Int
    }

    /// What a run knows beyond the config once its data is loaded and its model built.
    package struct RunContext: Sendable {
        /// The model's arena layout and size (parameters plus alignment padding).
        package var layout: [LayoutRecord]
        package var count: Int
        /// Optimizer steps per epoch.
        package var batchesPerEpoch: Int

        package init(arena: ParameterArena, batchesPerEpoch: Int) {
            layout = TrainingStateFile.layout(of: arena)
            count = arena.count
            self.batchesPerEpoch = batchesPerEpoch
        }
    }

    static func layout(of arena: ParameterArena) -> [LayoutRecord] {
        arena.parameters.map { LayoutRecord(name: $0.name, shape: $0.shape, offset: $0.offset) }
    }

    // MARK: Writing

    package static func file(_ state: TrainingState, arena: ParameterArena, configHash: String) throws -> SafeTensorsFile {
        var tensors = ["weights": try SafeTensor(shape: [state.weights.count], floats: state.weights)]
        if let best = state.bestWeights { tensors["best_weights"] = try SafeTensor(shape: [best.count], floats: best) }
        for (name, values) in state.optimizer.buffers {
            tensors["optimizer.\(name)"] = try SafeTensor(shape: [values.count], floats: values)
        }
        let early = state.earlyStopping.map {
            StoppingRecord(bestValue: $0.bestValue, bestEpoch: $0.bestEpoch, passesWithoutImprovement: $0.passesWithoutImprovement)
        }
        let history = try ReportCoding.encoder().encode(state.history)
        let metadata: [String: String] = [
            "format": RunFiles.stateFormat,
            "config_hash": configHash,
            "epoch": String(state.epoch),
            "finished": String(state.finished),
            "message": state.message,
            "optimizer_step": String(state.optimizer.step),
            "random_shuffle": try json(state.shuffleRandom.state),
            "random_dropout": try json(state.dropoutRandom.map(\.state)),
            "early_stopping": try json(early),
            "layout": try json(layout(of: arena)),
            "history": String(decoding: history, as: UTF8.self),
            "training_seconds": String(state.trainingSeconds),
            "validation_seconds": String(state.validationSeconds),
        ]
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    // MARK: Reading

    /// Reads and checks the state at `url` for `spec`; `run` adds the model's layout and the
    /// epoch's batch count (nil for `runner plan`, which loads no data).
    package static func read(at url: URL, spec: ExperimentSpec, run: RunContext?) throws(CheckpointError) -> TrainingState {
        try decode(RunFiles.read(url, kind: "training state"), path: url.path, spec: spec, run: run)
    }

    /// What `runner plan` says of a point's saved state.
    package enum Inspection: Sendable, Equatable {
        /// No state file, or one from another config (the run ignores it).
        case none
        /// The run continues after this epoch.
        case resumable(epoch: Int)
        /// The run will refuse it (the reason).
        case unusable(CheckpointError)
    }

    /// The saved state in `directory` as the run will see it, by the run's own check.
    package static func inspect(in directory: URL, spec: ExperimentSpec) -> Inspection {
        let url = directory.appendingPathComponent(RunFiles.state)
        guard spec.output.checkpoint, FileManager.default.fileExists(atPath: url.path) else { return .none }
        if let summary = RunFiles.stateSummary(in: directory), summary.configHash != spec.configHash { return .none }
        do {
            return .resumable(epoch: try read(at: url, spec: spec, run: nil).epoch)
        } catch {
            return .unusable(error)
        }
    }

    package static func decode(_ file: SafeTensorsFile, path: String, spec: ExperimentSpec,
                              run: RunContext?) throws(CheckpointError) -> TrainingState {
        let metadata = file.metadata
        guard metadata["format"] == RunFiles.stateFormat else {
            throw .wrongFormat(path: path, expected: RunFiles.stateFormat, found: metadata["format"])
        }
        guard let found = metadata["config_hash"] else { throw .unreadable(path: path, reason: "metadata lacks 'config_hash'") }
        guard found == spec.configHash else { throw .otherConfig(path: path, expected: spec.configHash, found: found) }
        func field<T: Decodable>(_ key: String, _ type: T.Type) throws(CheckpointError) -> T {
            guard let text = metadata[key] else { throw .unreadable(path: path, reason: "metadata lacks '\(key)'") }
            do {
                return try ReportCoding.decoder().decode(T.self, from: Data(text.utf8))
            } catch {
                throw .unreadable(path: path, reason: "metadata '\(key)': \(error)")
            }
        }
        let layout = try field("layout", [LayoutRecord].self)
        if let run, layout != run.layout {
            throw .unreadable(path: path, reason: "the saved parameter layout differs from the model's")
        }
        // The model's arena size, else the saved weights' own (TrainingStateCheck fits the layout in it).
        let count = run?.count ?? file.tensors["weights"].map { $0.shape.count == 1 ? $0.shape[0] : $0.elementCount } ?? 0
        func floats(_ name: String) throws(CheckpointError) -> [Float] {
            guard let tensor = file.tensors[name] else { throw .missingTensor(path: path, name: name) }
            guard tensor.shape == [count] else { throw .wrongShape(path: path, name: name, expected: [count], found: tensor.shape) }
            do { return try tensor.floats() } catch { throw .unreadable(path: path, reason: "\(name): \(error)") }
        }
        guard let epoch = metadata["epoch"].flatMap(Int.init), let step = metadata["optimizer_step"].flatMap(Int.init),
              let finished = metadata["finished"].flatMap(Bool.init) else {
            throw .unreadable(path: path, reason: "metadata lacks a valid epoch, optimizer_step or finished")
        }
        guard let shuffle = SeededGenerator(state: try field("random_shuffle", [UInt64].self)) else {
            throw .unreadable(path: path, reason: "invalid random_shuffle state")
        }
        var dropout: [SeededGenerator] = []
        for words in try field("random_dropout", [[UInt64]].self) {
            guard let generator = SeededGenerator(state: words) else { throw .unreadable(path: path, reason: "invalid random_dropout state") }
            dropout.append(generator)
        }
        var buffers: [String: [Float]] = [:]
        for name in file.tensors.keys.sorted() where name.hasPrefix("optimizer.") {
            buffers[String(name.dropFirst("optimizer.".count))] = try floats(name)
        }
        let record = try field("early_stopping", StoppingRecord?.self)
        let stopper = spec.training.earlyStopping.map {
            EarlyStopping(metric: $0.metric, patience: $0.patience, bestValue: record?.bestValue, bestEpoch: record?.bestEpoch,
                          passesWithoutImprovement: record?.passesWithoutImprovement ?? 0)
        }
        if let extra = file.tensors.keys.sorted().first(where: { $0 != "weights" && $0 != "best_weights" && !$0.hasPrefix("optimizer.") }) {
            throw .unexpectedTensor(path: path, name: extra)
        }
        let state = TrainingState(
            epoch: epoch, finished: finished, message: metadata["message"] ?? "", weights: try floats("weights"),
            bestWeights: file.tensors["best_weights"] == nil ? nil : try floats("best_weights"),
            optimizer: OptimizerState(step: step, buffers: buffers), shuffleRandom: shuffle, dropoutRandom: dropout,
            earlyStopping: stopper, history: try field("history", [EpochRecord].self),
            trainingSeconds: metadata["training_seconds"].flatMap(Double.init) ?? 0,
            validationSeconds: metadata["validation_seconds"].flatMap(Double.init) ?? 0)
        try TrainingStateCheck(path: path, spec: spec, layout: layout, batchesPerEpoch: run?.batchesPerEpoch)
            .check(state, recordsEarlyStopping: record != nil)
        return state
    }

    // MARK: Helpers

    struct StoppingRecord: Codable {
        var bestValue: Double?
        var bestEpoch: Int?
        var passesWithoutImprovement: Int
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try ReportCoding.encoder().encode(value), as: UTF8.self)
    }
}
