// report.json: everything needed to trust, reproduce and compare one run.
// Keys are snake_case; the writer sorts them and pretty-prints. Optional sections are omitted
// while empty (e.g. `test` of a diverged run). The shape is `schema/report.schema.json`.

import Foundation

package struct RunReport: Sendable, Equatable, Codable {
    /// Bumped when a field changes meaning or a required field is added.
    package static let currentSchemaVersion = 1

    package var schemaVersion: Int
    /// `<name>-<UTC start yyyyMMddTHHmmssZ>-<first 8 hex of config_hash>`.
    package var runID: String
    /// The experiment's name.
    package var name: String
    /// The resolved config, as the config layer encodes it.
    package var config: JSONValue
    /// SHA-256 (hex) of the config's canonical JSON (sorted keys, no whitespace).
    package var configHash: String
    package var provenance: Provenance
    package var startedAt: Timestamp
    package var finishedAt: Timestamp?
    package var status: RunStatus
    /// Why the run failed, diverged or was interrupted; a short note for ok runs.
    package var message: String?
    package var dataset: DatasetReport?
    package var split: SplitReport?
    /// One record per finished epoch.
    package var history: [EpochRecord]
    /// Epoch whose weights were restored for the test pass.
    package var bestEpoch: Int?
    package var validation: MetricsReport?
    package var test: MetricsReport?
    package var ratingBaselines: RatingBaselines?
    package var timing: TimingReport?
    /// Trainable scalars of the model (0 for pop/markov).
    package var parameterCount: Int?
    /// The epoch a resumed run continued after (its saved training state), nil for a fresh run.
    package var resumedFromEpoch: Int?
    /// File name -> SHA-256 (hex) of each file of the result that this report belongs to
    /// (model.safetensors, ids.json, per_user.tsv); readers refuse a file that does not match
    /// (RunResult.verify). Nil in reports of runs that did not end ok, and of older releases.
    package var files: [String: String]?

    package init(runID: String, name: String, config: JSONValue, configHash: String, provenance: Provenance,
                startedAt: Timestamp, status: RunStatus, message: String? = nil) {
        self.schemaVersion = Self.currentSchemaVersion
        self.runID = runID
        self.name = name
        self.config = config
        self.configHash = configHash
        self.provenance = provenance
        self.startedAt = startedAt
        self.status = status
        self.message = message
        self.history = []
    }

    /// A report for `config` started now, with its hash and run id filled in.
    package init(name: String, config: JSONValue, provenance: Provenance, startedAt: Timestamp = .now(),
                status: RunStatus = .failed, message: String? = nil) throws {
        let hash = try Self.configHash(of: config)
        self.init(runID: Self.makeRunID(name: name, startedAt: startedAt, configHash: hash), name: name,
                  config: config, configHash: hash, provenance: provenance, startedAt: startedAt,
                  status: status, message: message)
    }

    package static func configHash(of config: JSONValue) throws -> String {
        SHA256.hex(try config.canonicalData())
    }

    package static func makeRunID(name: String, startedAt: Timestamp, configHash: String) -> String {
        let time = ISO8601.compactString(milliseconds: startedAt.millisecondsSince1970)
        return "\(name)-\(time)-\(configHash.prefix(8))"
    }

    enum CodingKeys: String, CodingKey {
        case name, config, provenance, status, message, dataset, split, history, validation, test, timing, files
        case schemaVersion = "schema_version"
        case runID = "run_id"
        case configHash = "config_hash"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case bestEpoch = "best_epoch"
        case ratingBaselines = "rating_baselines"
        case parameterCount = "parameter_count"
        case resumedFromEpoch = "resumed_from_epoch"
    }
}
