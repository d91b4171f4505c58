import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The JSON Schema and the markdown reference are generated from ConfigSchema; the
// committed files must be current, and the schema must cover every key the spec writes.

private func checkGenerated(_ generated: String, at relativePath: String) throws {
    let url = ConfigFixtures.repositoryRoot.appendingPathComponent(relativePath)
    if ConfigFixtures.updating {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try generated.write(to: url, atomically: true, encoding: .utf8)
    }
    #expect(ConfigFixtures.read(url) == generated, "\(relativePath) is stale: run the tests with SEQREC_UPDATE_FIXTURES=1")
}

@Test func committedJSONSchemaIsCurrent() throws {
    try checkGenerated(ConfigReference.jsonSchema(), at: "schema/experiment.schema.json")
}

/// docs/configuration.md carries the generated reference between these markers.
private let referencePath = "docs/configuration.md"
private let referenceBegin = "<!-- BEGIN generated: configuration reference -->\n"
private let referenceEnd = "<!-- END generated: configuration reference -->"

@Test func docsConfigReferenceIsCurrent() throws {
    let url = ConfigFixtures.repositoryRoot.appendingPathComponent(referencePath)
    let page = ConfigFixtures.read(url)
    let begin = try #require(page.range(of: referenceBegin), "\(referencePath) lacks the reference markers")
    let end = try #require(page.range(of: referenceEnd, range: begin.upperBound..<page.endIndex))
    let generated = ConfigReference.markdown()
    if ConfigFixtures.updating {
        let updated = page.replacingCharacters(in: begin.upperBound..<end.lowerBound, with: generated)
        try updated.write(to: url, atomically: true, encoding: .utf8)
    }
    #expect(String(page[begin.upperBound..<end.lowerBound]) == generated,
            "\(referencePath)'s configuration reference is stale: run the tests with SEQREC_UPDATE_FIXTURES=1")
}

@Test func jsonSchemaIsValidJSONWithClosedObjects() throws {
    let data = Data(ConfigReference.jsonSchema().utf8)
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(root["additionalProperties"] as? Bool == false)
    let properties = try #require(root["properties"] as? [String: Any])
    #expect(Set(properties.keys) == ["name", "seed", "extends", "task", "dataset", "split", "model",
                                     "training", "evaluation", "output", "grid", "tune", "label"])
    let model = try #require(properties["model"] as? [String: Any])
    let modelProperties = try #require(model["properties"] as? [String: Any])
    let hidden = try #require(modelProperties["hidden_size"] as? [String: Any])
    #expect(hidden["minimum"] as? Int == 1 && hidden["default"] as? Int == 50)
    #expect(hidden["description"] is String)
}

/// Dotted paths of the leaves of a value tree (a mapping of leaves counts as a leaf for candidates).
private func leafPaths(_ value: ConfigValue, prefix: String = "") -> Set<String> {
    guard case .mapping(let fields) = value else { return [prefix] }
    return fields.reduce(into: Set<String>()) { paths, field in
        let path = prefix.isEmpty ? field.key : "\(prefix).\(field.key)"
        paths.formUnion(path == "evaluation.candidates" ? [path] : leafPaths(field.value, prefix: path))
    }
}

private func schemaLeafPaths(_ keys: [SchemaKey], prefix: String = "") -> Set<String> {
    keys.reduce(into: Set<String>()) { paths, key in
        let path = prefix.isEmpty ? key.name : "\(prefix).\(key.name)"
        switch key.type {
        case .object(let children), .nullable(.object(let children), _), .nameOrObject(_, let children):
            paths.formUnion(schemaLeafPaths(children, prefix: path))
        default:
            paths.insert(path)
        }
    }
}

@Test func schemaDocumentsExactlyTheKeysTheSpecWrites() {
    var spec = ExperimentSpec(name: "x")
    spec.dataset.synthetic = SyntheticSpec()
    spec.dataset.columns = ColumnMapping()
    var sasrec = spec
    sasrec.model.cell = .sasrec  // the sasrec-only keys are written for sasrec only
    sasrec.output.tensorboard = false  // and output.tensorboard only when false
    sasrec.label = "SASRec"  // and label only when set
    var gbce = spec
    gbce.training.loss = .generalizedBinaryCrossEntropy  // gbce_t is written for gbce only
    let written = CellKind.allCases.reduce(leafPaths(sasrec.configValue).union(leafPaths(gbce.configValue))) { paths, cell in
        var other = spec
        other.model.cell = cell  // each family's own keys are written for its cells only
        return paths.union(leafPaths(other.configValue))
    }
    #expect(leafPaths(sasrec.configValue).subtracting(leafPaths(spec.configValue))
        == ["model.blocks", "model.heads", "model.norm", "output.tensorboard", "label"])
    #expect(leafPaths(gbce.configValue).subtracting(leafPaths(spec.configValue)) == ["training.gbce_t"])
    let documented = schemaLeafPaths(ConfigSchema.keys).subtracting(["extends", "grid", "tune"])
    #expect(written == documented)
}

/// Every key of the configuration reference shows its default, also the keys that only one
/// model family reads (recorded for that family's cells only).
@Test func everyKeyInTheReferenceShowsADefault() {
    let reference = ConfigReference.markdown()
    let rows = reference.split(separator: "\n").filter { $0.hasPrefix("| `") }
    #expect(rows.count > 40)
    for row in rows {
        let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet.whitespaces) }
        #expect(cells.count >= 5 && !cells[3].isEmpty, "no default: \(row)")
    }
}
