// `runner evaluate`'s file, evaluation-<protocol hash>.json in a run directory: a saved
// model's metrics on one split under a stated evaluation protocol, tied to the model file it
// scored by its SHA-256. `runner compare` reads those of the test split beside the run's
// report, while the run's model is still that file. Shape: schema/evaluation.schema.json.

import Foundation

/// What `runner evaluate` writes: the metrics of a saved model under a stated protocol.
public struct RunEvaluation: Codable, Sendable, Equatable {
    package var kind = "evaluation"
    package var name: String
    /// The config the model was trained under.
    package var configHash: String
    /// SHA-256 of the model.safetensors bytes that were scored, and the epoch its weights
    /// come from (nil for a baseline): `runner compare` uses the evaluation only while the
    /// run's model file still has this hash. Nil in files written before it was recorded.
    package var modelSHA256: String?
    package var modelEpoch: Int?
    package var split: String
    /// The resolved `evaluation` section used.
    package var evaluation: JSONValue
    public var metrics: MetricsReport
    package var createdAt: Timestamp

    init(name: String, configHash: String, modelSHA256: String, modelEpoch: Int?, split: String, evaluation spec: ExperimentSpec,
         metrics: MetricsReport) throws {
        self.name = name
        self.configHash = configHash
        self.modelSHA256 = modelSHA256
        self.modelEpoch = modelEpoch
        self.split = split
        self.evaluation = try Self.evaluationSection(spec)
        self.metrics = metrics
        createdAt = .now()
    }

    static func evaluationSection(_ spec: ExperimentSpec) throws -> JSONValue {
        let config = try JSONDecoder().decode(JSONValue.self, from: Data(spec.resolvedJSON().utf8))
        if case .object(let fields) = config, let section = fields["evaluation"] { return section }
        return .null
    }

    /// Hash of the split and the resolved evaluation section: one file per protocol.
    static func protocolHash(_ spec: ExperimentSpec, split: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let section = (try? evaluationSection(spec)).flatMap { try? encoder.encode($0) } ?? Data()
        return SHA256.hex(Data(split.utf8) + Data([0]) + section)
    }

    enum CodingKeys: String, CodingKey {
        case kind, name, split, evaluation, metrics
        case configHash = "config_hash"
        case modelSHA256 = "model_sha256"
        case modelEpoch = "model_epoch"
        case createdAt = "created_at"
    }
}
