import Foundation

// A plain value tree (JSON-like, with ordered mappings) used to write the resolved
// configuration as JSON or YAML with the YAML spelling of every key.

package enum ConfigValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    case mapping([ConfigField])
}

package struct ConfigField: Sendable, Equatable {
    package var key: String
    package var value: ConfigValue

    package init(_ key: String, _ value: ConfigValue) {
        self.key = key
        self.value = value
    }
}

extension ConfigValue: Codable {
    private struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package func encode(to encoder: any Encoder) throws {
        switch self {
        case .mapping(let fields):
            var container = encoder.container(keyedBy: FieldKey.self)
            for field in fields { try container.encode(field.value, forKey: FieldKey(stringValue: field.key)) }
        case .list(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .unsigned(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        }
    }

    package init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: FieldKey.self) {
            self = .mapping(try keyed.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                ConfigField($0.stringValue, try keyed.decode(ConfigValue.self, forKey: $0))
            })
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [ConfigValue] = []
            while !unkeyed.isAtEnd { items.append(try unkeyed.decode(ConfigValue.self)) }
            self = .list(items)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .unsigned(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}

// MARK: - Rendering

extension ConfigValue {
    /// Pretty JSON with sorted keys: the canonical form hashed by `configHash`. Written by
    /// hand (not JSONEncoder) so that number formatting is the same on every platform.
    package func jsonText() -> String {
        var text = ""
        appendJSON(to: &text, indent: "")
        return text
    }

    private func appendJSON(to text: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .mapping(let fields) where !fields.isEmpty:
            text += "{\n"
            for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                text += inner + Self.jsonString(field.key) + ": "
                field.value.appendJSON(to: &text, indent: inner)
                text += index == fields.count - 1 ? "\n" : ",\n"
            }
            text += indent + "}"
        case .list(let items) where !items.isEmpty:
            text += "[\n"
            for (index, item) in items.enumerated() {
                text += inner
                item.appendJSON(to: &text, indent: inner)
                text += index == items.count - 1 ? "\n" : ",\n"
            }
            text += indent + "]"
        case .mapping: text += "{}"
        case .list: text += "[]"
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .int(let value): text += String(value)
        case .unsigned(let value): text += String(value)
        case .double(let value): text += value.isFinite ? String(value) : "null"
        case .string(let value): text += Self.jsonString(value)
        }
    }

    package static func jsonString(_ value: String) -> String {
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }

    /// Block-style YAML (mappings in field order, lists in flow style), ending in a newline.
    package func yamlText() -> String {
        guard case .mapping(let fields) = self else { return yamlScalar + "\n" }
        var lines: [String] = []
        Self.appendYAML(fields, indent: "", to: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func appendYAML(_ fields: [ConfigField], indent: String, to lines: inout [String]) {
        for field in fields {
            if case .mapping(let children) = field.value, !children.isEmpty {
                lines.append("\(indent)\(field.key):")
                appendYAML(children, indent: indent + "  ", to: &lines)
            } else {
                lines.append("\(indent)\(field.key): \(field.value.yamlScalar)")
            }
        }
    }

    /// Flow-style text for one value.
    package var yamlScalar: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .unsigned(let value): return String(value)
        case .double(let value): return String(value)
        case .string(let value): return Self.yamlString(value)
        case .list(let items): return "[" + items.map(\.yamlScalar).joined(separator: ", ") + "]"
        case .mapping(let fields):
            return "{" + fields.map { "\($0.key): \($0.value.yamlScalar)" }.joined(separator: ", ") + "}"
        }
    }

    /// Plain when that reads back as the same string, double-quoted otherwise.
    static func yamlString(_ text: String) -> String {
        let safe = text.unicodeScalars.allSatisfy { scalar in
            scalar.value < 128 && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || "_./@-".unicodeScalars.contains(scalar))
        }
        let looksTyped = Double(text) != nil || Int(text) != nil
            || ["true", "false", "null", "~", "yes", "no", "on", "off"].contains(text.lowercased())
        if safe, !text.isEmpty, !looksTyped, text.first != "-", text.first != "." {
            return text
        }
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 {
                    escaped += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }

    /// The value as a node tree, for decoding with the same rules as a YAML file.
    func node(source: ConfigSource) -> YAMLNode {
        let location = ConfigLocation(source: source, line: 1, column: 1)
        switch self {
        case .null: return YAMLNode(.scalar("", .plain), at: location)
        case .bool(let value): return YAMLNode(.scalar(value ? "true" : "false", .plain), at: location)
        case .int(let value): return YAMLNode(.scalar(String(value), .plain), at: location)
        case .unsigned(let value): return YAMLNode(.scalar(String(value), .plain), at: location)
        case .double(let value): return YAMLNode(.scalar(String(value), .plain), at: location)
        case .string(let value): return YAMLNode(.scalar(value, .quoted), at: location)
        case .list(let items): return YAMLNode(.sequence(items.map { $0.node(source: source) }), at: location)
        case .mapping(let fields):
            return YAMLNode(.mapping(fields.map {
                YAMLMappingEntry(key: YAMLNode(.scalar($0.key, .plain), at: location), value: $0.value.node(source: source))
            }), at: location)
        }
    }
}
