// `runner evaluate`'s file, evaluation-<protocol hash>.json in a run directory: a saved
// model's metrics on one split under a stated evaluation protocol. `runner compare` reads
// those of the test split beside the run's report.

import Foundation

/// What `runner evaluate` writes: the metrics of a saved model under a stated protocol.
public struct RunEvaluation: Codable, Sendable, Equatable {
    public var kind = "evaluation"
    public var name: String
    /// The config the model was trained under.
    public var configHash: String
    public var split: String
    /// The resolved `evaluation` section used.
    public var evaluation: JSONValue
    public var metrics: MetricsReport
    public var createdAt: Timestamp

    init(name: String, configHash: String, split: String, evaluation spec: ExperimentSpec, metrics: MetricsReport) throws {
        self.name = name
        self.configHash = configHash
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
        case createdAt = "created_at"
    }
}
