// Entry point of the data layer: a DatasetSpec in, preprocessed InteractionData out.
// Exactly one of `synthetic`, `path`, `name` is used, in that order of precedence.

import Foundation

public enum DatasetLoader {
    /// Loads the dataset `spec` describes. `baseDirectory` is the config file's directory
    /// (relative `dataset.path`s are resolved against it); `seed` drives synthetic data.
    public static func load(_ spec: DatasetSpec, seed: UInt64, baseDirectory: String,
                            log: (String) -> Void) throws -> InteractionData {
        if let synthetic = spec.synthetic {
            let data = try SyntheticGenerator.generate(synthetic, seed: seed)
            log("synthetic data: \(data.numUsers) users x \(synthetic.length) events, \(data.numItems) items, "
                + "\(synthetic.keys) keys, lag \(synthetic.lag) (filters are not applied to synthetic data)")
            return data
        }
        if let path = spec.path {
            let resolved = resolve(path, against: baseDirectory)
            let format = try spec.format ?? InteractionFileParser.detectFormat(path: resolved)
            log("reading \(resolved.escapedForTerminal) as \(format.rawValue)")
            // One read: the hash in the report is that of the bytes parsed, even if the file
            // changes while the run loads it.
            let bytes = try InteractionFileParser.readBytes(path: resolved)
            let raw = try InteractionFileParser.parse(bytes: bytes, file: resolved, format: format, columns: spec.columns)
            let source = DataSourceInfo(kind: .file, name: URL(fileURLWithPath: resolved).lastPathComponent, path: resolved,
                                        format: format.rawValue, sha256: SHA256.hex(bytes))
            return try preprocess(raw, spec: spec, source: source, log: log)
        }
        let name = spec.name ?? "movielens-100k"
        let builtin = try BuiltinDataset.named(name)
        let cache = BuiltinDataset.cacheDirectory(configured: spec.cacheDir)
        // The verified bytes are the ones parsed and hashed (the file is not read again).
        let acquired = try builtin.acquireBytes(cacheDirectory: cache, log: log)
        let raw = try InteractionFileParser.parse(bytes: acquired.bytes, file: acquired.file.path, format: builtin.format,
                                                  columns: nil)
        let source = DataSourceInfo(kind: .builtin, name: name, path: acquired.file.path, format: builtin.format.rawValue,
                                    sha256: SHA256.hex(acquired.bytes), acquiredFrom: acquired.origin)
        return try preprocess(raw, spec: spec, source: source, log: log)
    }

    /// Acquires a built-in dataset into `cacheDirectory` (what `make data` runs) and returns
    /// the verified file. A cached file is verified, not downloaded again.
    public static func acquire(builtin name: String, cacheDirectory: String, log: (String) -> Void) throws -> URL {
        try BuiltinDataset.named(name).acquire(cacheDirectory: cacheDirectory, log: log).file
    }

    /// The cache directory used when `dataset.cache_dir` is `configured` (nil: $SEQREC_DATA_DIR, else `data`).
    public static func cacheDirectory(configured: String?) -> String {
        BuiltinDataset.cacheDirectory(configured: configured)
    }

    // MARK: - Helpers

    private static func preprocess(_ raw: RawInteractionLog, spec: DatasetSpec, source: DataSourceInfo,
                                   log: (String) -> Void) throws -> InteractionData {
        let data = try Preprocessor.run(raw, policy: PreprocessingPolicy(spec), source: source)
        let removed = data.stats.removed
        log("\(raw.events.count) rows -> \(data.stats.interactions) interactions, \(data.numUsers) users, "
            + "\(data.numItems) items (removed: rating threshold \(removed.ratingThreshold), duplicates \(removed.duplicates), "
            + "min user interactions \(removed.minUserInteractions), min item interactions \(removed.minItemInteractions))")
        return data
    }

    static func resolve(_ path: String, against baseDirectory: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        let base = baseDirectory.isEmpty ? WorkingDirectory.path : baseDirectory
        return URL(fileURLWithPath: base).appendingPathComponent(expanded).standardizedFileURL.path
    }
}
