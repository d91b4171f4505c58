// Configs loaded from memory instead of a file: the fuzz targets' input, and the resolved
// config a checkpoint carries (`runner recommend` / `evaluate`).

extension ConfigLoader {
    /// Loads a config from its bytes, without the file system: what `loadGrid(path:)` does
    /// for one file, except that `extends:` is rejected (it names another file).
    static func loadGrid(bytes: [UInt8], displayName: String, overrides: [String] = []) throws(ConfigError) -> [GridPoint] {
        let tree = try documentRoot(bytes: bytes, displayName: displayName)
        if let extendsKey = tree.mappingEntries?.first(where: { $0.key.scalarText == "extends" })?.key {
            throw ConfigError(ConfigDiagnostic(at: extendsKey.location, keyPath: "extends",
                "expected a config without 'extends:' here (it is loaded from memory, not from a file)"))
        }
        let overrideNodes = try parseOverrides(overrides)
        guard let gridNode = tree.value(forKey: "grid") else {
            let spec = try decode(tree, overrides: overrideNodes, defaultName: displayName)
            return [GridPoint(runName: spec.name, varied: [], spec: spec)]
        }
        return try GridExpansion.expand(base: ConfigTree.removing(["grid"], from: tree), grid: gridNode,
                                        overrides: overrideNodes, defaultName: displayName)
    }

    /// One experiment from its bytes (a file without `grid:`), e.g. the resolved config a
    /// checkpoint carries; errors name `displayName` and positions in the bytes.
    static func load(bytes: [UInt8], displayName: String, overrides: [String] = []) throws(ConfigError) -> ExperimentSpec {
        let tree = try documentRoot(bytes: bytes, displayName: displayName)
        return try decode(tree, overrides: try parseOverrides(overrides), defaultName: displayName)
    }
}
