// The YAML document as a tree. Every node remembers where it came from (file or `--set`
// flag, 1-based line and column), so that errors found after `extends:` merging and
// overrides still point at the text the user wrote.

/// Where configuration text came from: a file (path as the user gave it) or a `--set` flag.
package final class ConfigSource: Sendable {
    /// The file path as given, or the whole flag text (`--set model.hidden_size=abc`).
    package let displayName: String
    /// The source split into lines, for printing the offending line under an error.
    package let lines: [String]
    /// Flags have no useful line and column; their errors name the flag instead.
    package let isFlag: Bool

    package init(displayName: String, text: String, isFlag: Bool = false) {
        self.displayName = displayName
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        self.isFlag = isFlag
    }

    /// The text of a 1-based line, or nil when out of range.
    package func line(_ number: Int) -> String? {
        number >= 1 && number <= lines.count ? lines[number - 1] : nil
    }
}

/// A 1-based position in a source.
package struct ConfigLocation: Sendable {
    package var source: ConfigSource
    package var line: Int
    package var column: Int

    package init(source: ConfigSource, line: Int, column: Int) {
        self.source = source
        self.line = line
        self.column = column
    }
}

/// How a scalar was written; quoted scalars are always strings, plain ones are typed.
package enum ScalarStyle: Sendable, Equatable {
    case plain
    case quoted
    case block
}

package struct YAMLMappingEntry: Sendable {
    package var key: YAMLNode
    package var value: YAMLNode
}

public struct YAMLNode: Sendable {
    package enum Kind: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLMappingEntry])
    }

    package var kind: Kind
    package var location: ConfigLocation
    /// Nodes in this subtree, counting every alias expansion (bounds alias bombs).
    package var expandedSize: Int
    /// Levels of mappings and lists in this subtree (0 for a scalar; bounds nesting).
    package var height: Int

    package init(_ kind: Kind, at location: ConfigLocation) {
        self.kind = kind
        self.location = location
        switch kind {
        case .scalar:
            expandedSize = 1
            height = 0
        case .sequence(let items):
            expandedSize = items.reduce(1) { $0 + $1.expandedSize }
            height = 1 + items.reduce(0) { max($0, $1.height) }
        case .mapping(let entries):
            expandedSize = entries.reduce(1) { $0 + $1.key.expandedSize + $1.value.expandedSize }
            height = 1 + entries.reduce(0) { max($0, $1.key.height, $1.value.height) }
        }
    }

    /// The text of a scalar node, nil for collections.
    package var scalarText: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// A plain scalar that YAML reads as null (`~`, `null`, or nothing).
    package var isNull: Bool {
        if case .scalar(let text, .plain) = kind {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    package var mappingEntries: [YAMLMappingEntry]? {
        if case .mapping(let entries) = kind { return entries }
        return nil
    }

    /// The value for a scalar key in a mapping node.
    package func value(forKey key: String) -> YAMLNode? {
        mappingEntries?.first { $0.key.scalarText == key }?.value
    }

    /// How errors describe this node after "found": `'abc'`, `the string "50"`, `a list`, ...
    package var foundDescription: String {
        switch kind {
        case .scalar(let text, let style):
            if isNull { return "null" }
            switch style {
            case .plain: return "'\(text)'"
            case .quoted, .block: return "the string \"\(text)\""
            }
        case .sequence(let items): return items.isEmpty ? "an empty list" : "a list"
        case .mapping(let entries): return entries.isEmpty ? "an empty mapping" : "a mapping"
        }
    }
}

extension YAMLNode {
    /// A plain (unquoted) scalar: the only kind that YAML reads as a number, bool or null.
    package var isPlain: Bool {
        if case .scalar(_, .plain) = kind { return true }
        return false
    }
}
