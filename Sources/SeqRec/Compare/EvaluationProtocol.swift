// What makes two runs' numbers comparable: the data, the split, how candidates are formed and
// whether seen items are excluded. Sampled and full-ranking numbers must never be mixed unmarked.

import Foundation

package struct EvaluationProtocol: Sendable, Hashable {
    /// Ordered `(name, value)` fields; equal fields mean the same protocol.
    package var fields: [Field]

    package struct Field: Sendable, Hashable {
        package var name: String
        package var value: String
    }

    /// Fields always shown when describing a protocol; the others only when they differ.
    static let headlineFields: Set<String> = ["dataset", "split", "max_length", "candidates", "exclude_seen"]

    package init(fields: [Field]) { self.fields = fields }

    /// The protocol of a run, from the report's sections, falling back to its config.
    package init(of report: RunReport) {
        let config = report.config
        var fields: [Field] = []
        func add(_ name: String, _ value: String?) {
            if let value { fields.append(Field(name: name, value: value)) }
        }
        add("task", config["task"].map { ConfigSettings.text($0) } ?? "next-item")
        let datasetConfig = config["dataset"] ?? .object([:])
        let source = report.dataset?.source ?? {
            if datasetConfig["synthetic"].map({ $0 != .null }) == true { return "synthetic" }
            if case .string(let name)? = datasetConfig["name"] { return name }
            return "file"
        }()
        add("dataset", source)
        add("dataset.sha256", report.dataset?.sha256.map { String($0.prefix(12)) })
        let datasetSettings = ConfigSettings.flatten(datasetConfig)
        for path in datasetSettings.keys.sorted() where !["name", "cacheDir", "cache_dir"].contains(path) {
            if datasetSettings[path] == .null { continue }
            add("dataset.\(ConfigSettings.displayPath(path))", ConfigSettings.text(datasetSettings[path]))
        }
        let splitConfig = config["split"]
        let method = report.split?.method ?? splitConfig?["method"].map { ConfigSettings.text($0) }
        add("split", method)
        add("max_length", report.split?.maxLength.map(String.init)
            ?? (splitConfig?["maxLength"] ?? splitConfig?["max_length"]).map { ConfigSettings.text($0) })
        if method == "user-ratio" { add("split.ratios", splitConfig?["ratios"].map { ConfigSettings.text($0) }) }
        if method == "temporal" {
            add("split.temporal_cuts", (splitConfig?["temporalCuts"] ?? splitConfig?["temporal_cuts"])
                .map { ConfigSettings.text($0) })
        }
        let evaluation = config["evaluation"]
        add("candidates", report.test?.candidates ?? report.validation?.candidates
            ?? evaluation?["candidates"].map(Self.candidatesText))
        add("exclude_seen", (evaluation?["excludeSeen"] ?? evaluation?["exclude_seen"]).map { ConfigSettings.text($0) })
        self.fields = fields
    }

    /// `{all: {}}` -> `all`, `{sampled: {count: 100, strategy: uniform}}` -> `sampled-100-uniform`
    /// (the report's spelling).
    static func candidatesText(_ value: JSONValue) -> String { ConfigSettings.text(value) }

    /// `dataset=movielens-100k, split=leave-one-out, ...`: the headline fields plus any field
    /// whose value differs among `all`.
    package func describe(among all: [EvaluationProtocol]) -> String {
        fields.filter { field in
            Self.headlineFields.contains(field.name)
                || all.contains { other in other.fields.first { $0.name == field.name }?.value != field.value }
        }.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
    }
}
