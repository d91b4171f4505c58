// Configs loaded from memory instead of a file: the fuzz targets' input, and the resolved
// config a checkpoint carries (`runner recommend` / `evaluate`).

extension ConfigLoader {
    /// Loads a config from its bytes, without the file system: what `loadGrid(path:)` does
    /// for one file, except that `extends:` is rejected (it names another file).
    package static func loadGrid(bytes: [UInt8], displayName: String, overrides: [String] = []) throws(ConfigError) -> [GridPoint] {
        let tree = try documentRoot(bytes: bytes, displayName: displayName)
        if let extendsKey = tree.mappingEntries?.first(where: { $0.key.scalarText == "extends" })?.key {
            throw ConfigError(ConfigDiagnostic(at: extendsKey.location, keyPath: "extends",
                "expected a config without 'extends:' here (it is loaded from memory, not from a file)"))
        }
        let (settings, axes) = try splitOverrides(overrides)
        return try points(of: tree, settings: settings, axes: axes, displayName: displayName, defaultName: displayName)
    }

    /// One experiment from its bytes (a file without `grid:`), e.g. the resolved config a
    /// checkpoint carries; errors name `displayName` and positions in the bytes.
    public static func load(bytes: [UInt8], displayName: String, overrides: [String] = []) throws(ConfigError) -> ExperimentSpec {
        let tree = try documentRoot(bytes: bytes, displayName: displayName)
        return try decode(tree, overrides: try settingOverrides(overrides, displayName: displayName), defaultName: displayName)
    }
}
