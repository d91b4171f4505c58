import Foundation

// Loads an experiment: read the file, follow `extends:` (relative to the including
// file, deep merge, child wins, cycles rejected), apply `--set` overrides last, then
// decode and validate into an `ExperimentSpec`.

public enum ConfigLoader {
    /// Loads one experiment. Throws `ConfigError` listing every problem found.
    public static func load(path: String, overrides: [String] = []) throws(ConfigError) -> ExperimentSpec {
        try load(path: path, displayName: path, overrides: overrides)
    }

    /// Loads a file that may hold a `grid:`; a file without one yields a single point.
    package static func loadGrid(path: String, overrides: [String] = []) throws(ConfigError) -> [GridPoint] {
        try loadGrid(path: path, displayName: path, overrides: overrides)
    }

    /// `displayName` is how errors name the file (tests use it to keep paths short).
    public static func load(path: String, displayName: String, overrides: [String]) throws(ConfigError) -> ExperimentSpec {
        let tree = try resolvedTree(path: path, displayName: displayName, chain: [])
        if let gridKey = tree.mappingEntries?.first(where: { $0.key.scalarText == "grid" })?.key {
            throw ConfigError(ConfigDiagnostic(at: gridKey.location, keyPath: "grid",
                "expected a single experiment, found a grid of runs (run it with 'runner sweep', or load it with ConfigLoader.loadGrid)"))
        }
        if let error = tuneFileError(tree) { throw error }
        let overrideNodes = try settingOverrides(overrides, displayName: displayName)
        try checkDatasetPath(applying(overrideNodes, to: tree), configPath: path)
        return try decode(tree, overrides: overrideNodes, defaultName: stem(of: path))
    }

    package static func loadGrid(path: String, displayName: String, overrides: [String]) throws(ConfigError) -> [GridPoint] {
        let tree = try resolvedTree(path: path, displayName: displayName, chain: [])
        let (settings, axes) = try splitOverrides(overrides)
        try checkDatasetPath(applying(settings, to: tree), configPath: path)
        return try points(of: tree, settings: settings, axes: axes, displayName: displayName, defaultName: stem(of: path))
    }

    /// The points of a resolved tree: one without `grid:`, else the grid's (its axes given
    /// new values by `--set grid.KEY=[...]` flags, `axes`).
    public static func points(of tree: YAMLNode, settings: [YAMLNode], axes: [YAMLNode], displayName: String,
                       defaultName: String) throws(ConfigError) -> [GridPoint] {
        if let error = tuneFileError(tree) { throw error }
        guard let gridNode = tree.value(forKey: "grid") else {
            if let axis = axes.first { throw noGrid(axis, displayName: displayName) }
            let spec = try decode(tree, overrides: settings, defaultName: defaultName)
            return [GridPoint(runName: spec.name, varied: [], spec: spec)]
        }
        return try GridExpansion.expand(base: ConfigTree.removing(["grid"], from: tree), grid: gridNode,
                                        overrides: settings, axisOverrides: axes, defaultName: defaultName)
    }

    // MARK: - Steps

    /// The default experiment name: the file name without its extension.
    static func stem(of path: String) -> String {
        let fileName = (path as NSString).lastPathComponent
        let stem = (fileName as NSString).deletingPathExtension
        return stem.isEmpty ? fileName : stem
    }

    /// The flags that set keys, and those that give a grid axis new values (`grid.KEY=[...]`).
    static func splitOverrides(_ overrides: [String]) throws(ConfigError) -> (settings: [YAMLNode], axes: [YAMLNode]) {
        let nodes = try parseOverrides(overrides)
        return (nodes.filter { !ConfigOverride.isGridAxis($0) }, nodes.filter(ConfigOverride.isGridAxis))
    }

    /// The flags of a single experiment, which has no grid axis to set.
    static func settingOverrides(_ overrides: [String], displayName: String) throws(ConfigError) -> [YAMLNode] {
        let (settings, axes) = try splitOverrides(overrides)
        if let axis = axes.first { throw noGrid(axis, displayName: displayName) }
        return settings
    }

    static func noGrid(_ axis: YAMLNode, displayName: String) -> ConfigError {
        ConfigError(ConfigDiagnostic(at: axis.location, keyPath: ConfigOverride.keyPath(of: axis),
            "expected a file with a 'grid:' whose axis to set, found no grid in \(displayName)"))
    }

    static func parseOverrides(_ overrides: [String]) throws(ConfigError) -> [YAMLNode] {
        var collector = DiagnosticCollector()
        var nodes: [YAMLNode] = []
        for assignment in overrides {
            do {
                nodes.append(try ConfigOverride.parse(assignment))
            } catch {
                collector.add(contentsOf: error)
            }
        }
        if !collector.isEmpty { throw collector.error() }
        return nodes
    }

    /// Merges the overrides over `tree` and decodes it.
    public static func decode(_ tree: YAMLNode, overrides: [YAMLNode], defaultName: String) throws(ConfigError) -> ExperimentSpec {
        let decoder = SpecDecoder()
        guard let spec = decoder.decode(applying(overrides, to: tree), defaultName: defaultName) else {
            throw decoder.diagnostics.error()
        }
        return spec
    }

    static func applying(_ overrides: [YAMLNode], to tree: YAMLNode) -> YAMLNode {
        overrides.reduce(tree) { ConfigTree.merge($0, $1) }
    }

    struct ChainLink {
        var canonicalPath: String
        var displayName: String
    }

    private static func canonicalPath(_ path: String) -> String {
        WorkingDirectory.url(path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// `reference` is the `extends:` value that named this file (nil for a file given on the
    /// command line): problems reading it are reported there.
    static func resolvedTree(path: String, displayName: String, chain: [ChainLink],
                                     reference: YAMLNode? = nil) throws(ConfigError) -> YAMLNode {
        let bytes = try readFile(path: path, displayName: displayName, reference: reference)
        let root = try documentRoot(bytes: bytes, displayName: displayName)
        guard let extendsNode = root.value(forKey: "extends") else { return root }
        guard let parentText = extendsNode.scalarText, !extendsNode.isNull, !parentText.isEmpty else {
            throw ConfigError(ConfigDiagnostic(at: extendsNode.location, keyPath: "extends",
                "expected the path of a YAML file to extend, found \(extendsNode.foundDescription)"))
        }
        let directory = (path as NSString).deletingLastPathComponent
        let parentPath = parentText.hasPrefix("/") || directory.isEmpty
            ? parentText : (directory as NSString).appendingPathComponent(parentText)
        let displayDirectory = (displayName as NSString).deletingLastPathComponent
        let parentDisplay = parentText.hasPrefix("/") || displayDirectory.isEmpty || displayDirectory == "."
            ? parentText : normalized((displayDirectory as NSString).appendingPathComponent(parentText))
        let link = ChainLink(canonicalPath: canonicalPath(path), displayName: displayName)
        let links = chain + [link]
        let parentCanonical = canonicalPath(parentPath)
        if links.contains(where: { $0.canonicalPath == parentCanonical }) {
            let cycle = (links.map(\.displayName) + [parentDisplay]).joined(separator: " -> ")
            throw ConfigError(ConfigDiagnostic(at: extendsNode.location, keyPath: "extends",
                "expected a chain of files without cycles, found the cycle \(cycle)"))
        }
        guard links.count < maxExtendsChain else {
            let names = links.map(\.displayName)
            let shown = names.prefix(3) + ["... (\(names.count - 4) more)"] + [names[names.count - 1], parentDisplay]
            throw ConfigError(ConfigDiagnostic(at: extendsNode.location, keyPath: "extends",
                "expected a chain of at most \(maxExtendsChain) files through 'extends', found more: \(shown.joined(separator: " -> "))"))
        }
        let parent = try resolvedTree(path: parentPath, displayName: parentDisplay, chain: links, reference: extendsNode)
        let rebased = rebasingDatasetPath(of: parent, by: (parentText as NSString).deletingLastPathComponent)
        // A search is not inherited: a file extending a tune file (a trial's config, best.yaml)
        // is one experiment with its settings.
        return ConfigTree.merge(ConfigTree.removing(["tune"], from: rebased), ConfigTree.removing(["extends"], from: root))
    }

    /// A `dataset.path` that exists but is not a regular file (a directory, a FIFO, a device)
    /// is an error at the key. A missing file is reported when the run reads it: the data may
    /// be made after the config is checked.
    static func checkDatasetPath(_ tree: YAMLNode, configPath: String) throws(ConfigError) {
        guard let node = tree.value(forKey: "dataset")?.value(forKey: "path"), !node.isNull,
              let text = node.scalarText, !text.isEmpty else { return }
        let expanded = (text as NSString).expandingTildeInPath
        let directory = (configPath as NSString).deletingLastPathComponent
        let resolved = expanded.hasPrefix("/") || directory.isEmpty
            ? expanded : (directory as NSString).appendingPathComponent(expanded)
        let kind = FileKind.of(resolved)
        guard kind != .missing, let problem = kind.problem else { return }
        throw ConfigError(ConfigDiagnostic(at: node.location, keyPath: "dataset.path", "cannot read '\(text)': it \(problem)"))
    }

    /// The top-level mapping of one file's bytes (before `extends:` is followed).
    static func documentRoot(bytes: [UInt8], displayName: String) throws(ConfigError) -> YAMLNode {
        let source = ConfigSource(displayName: displayName, text: String(decoding: bytes, as: UTF8.self))
        guard let root = try YAMLDocumentLoader.load(bytes: bytes, source: source) else {
            throw ConfigError(ConfigDiagnostic(origin: displayName,
                "expected a mapping of experiment settings, found an empty document"))
        }
        guard root.mappingEntries != nil else {
            throw ConfigError(ConfigDiagnostic(at: root.location, keyPath: "",
                "expected a mapping of experiment settings at the top level, found \(root.foundDescription)"))
        }
        return root
    }

    /// A relative `dataset.path` is relative to the file that sets it; seen from a child in
    /// another directory it gets the parent's directory (as the child wrote it) in front.
    private static func rebasingDatasetPath(of tree: YAMLNode, by directory: String) -> YAMLNode {
        guard !directory.isEmpty, directory != ".",
              let dataset = tree.value(forKey: "dataset"), let pathNode = dataset.value(forKey: "path"),
              case .scalar(let text, let style) = pathNode.kind, !pathNode.isNull, !text.hasPrefix("/") else {
            return tree
        }
        var rebasedPath = pathNode
        rebasedPath.kind = .scalar(normalized((directory as NSString).appendingPathComponent(text)), style)
        return ConfigTree.replacing(["dataset", "path"], with: rebasedPath, in: tree)
    }

    /// `a/b/../c.yaml` -> `a/c.yaml`, for readable names in messages (leading `..` kept).
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != "..", !last.isEmpty {
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    /// The most files in one `extends:` chain, the file given included. Every link re-merges
    /// the tree so far; real chains are two or three files deep.
    static let maxExtendsChain = 32

    /// The largest config file, in bytes.
    static let maxFileBytes = 1024 * 1024

    /// A config file's bytes. Only a regular file is opened (RegularFile: a FIFO would block,
    /// a device never end), and only up to `maxFileBytes`.
    private static func readFile(path: String, displayName: String, reference: YAMLNode?) throws(ConfigError) -> [UInt8] {
        func failure(_ message: String) -> ConfigError {
            guard let reference else { return ConfigError(ConfigDiagnostic(origin: displayName, message)) }
            return ConfigError(ConfigDiagnostic(at: reference.location, keyPath: "extends", message))
        }
        let subject = reference == nil ? "the file" : "'\(displayName)'"
        let tooLarge = { (found: Int) in
            failure("expected a config file of at most 1 MiB (\(maxFileBytes) bytes), found \(subject == "the file" ? "" : subject + " of ")\(found) bytes")
        }
        func unreadable(_ error: RegularFileError) -> ConfigError {
            if error.isMissing, reference != nil {
                return failure("expected an existing file, found no file at '\(displayName)'")
            }
            return failure("cannot read \(subject): \(error.reason)")
        }
        let file: OpenRegularFile
        do { file = try RegularFile.open(path) } catch { throw unreadable(error) }
        guard file.size <= maxFileBytes else { throw tooLarge(file.size) }
        let bytes: [UInt8]
        do { bytes = [UInt8](try file.readToEnd(limit: maxFileBytes + 1)) } catch { throw unreadable(error) }
        guard bytes.count <= maxFileBytes else { throw tooLarge(bytes.count) }
        return bytes
    }
}
