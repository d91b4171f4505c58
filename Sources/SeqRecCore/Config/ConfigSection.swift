// A mapping node seen through the decoder: typed reads by key, unknown-key reports.

/// One mapping being decoded: hands out values by key and remembers which keys were
/// asked for, so that the rest can be reported as unknown (with a suggestion).
final class Section {
    unowned let decoder: SpecDecoder
    let node: YAMLNode
    let prefix: String
    private let entries: [YAMLMappingEntry]
    private var knownKeys: [String] = []

    init(decoder: SpecDecoder, node: YAMLNode, path: String, entries: [YAMLMappingEntry]) {
        self.decoder = decoder
        self.node = node
        self.prefix = path
        self.entries = entries
    }

    func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    /// The value for `key` without marking it as read.
    func peek(_ key: String) -> YAMLNode? {
        entries.first { $0.key.scalarText == key }?.value
    }

    /// The value for `key` (nil if absent); the key becomes known.
    func take(_ key: String) -> YAMLNode? {
        knownKeys.append(key)
        let value = peek(key)
        if let value { decoder.nodes[path(key)] = value }
        return value
    }

    /// Parses a required-typed value if present; null is a type error, like any other.
    func read<T>(_ key: String, into target: inout T, _ parse: (YAMLNode, String) -> T?) {
        guard let node = take(key) else { return }
        if let value = parse(node, path(key)) { target = value }
    }

    /// Parses an optional value if present; null sets nil.
    func readOptional<T>(_ key: String, into target: inout T?, _ parse: (YAMLNode, String) -> T?) {
        guard let node = take(key) else { return }
        if node.isNull {
            target = nil
        } else if let value = parse(node, path(key)) {
            target = value
        }
    }

    /// Reports every key no decoder asked for.
    func reportUnknownKeys() {
        for entry in entries {
            let key = entry.key.scalarText ?? ""
            guard !knownKeys.contains(key) else { continue }
            let hint = Suggestion.hint(for: key, among: knownKeys)
            decoder.diagnostics.add(entry.key, path(key), "unknown key '\(key)'\(hint)")
        }
    }
}
