// A resolved config as flat `dotted.path -> leaf` settings, to find what differs between
// configurations and to name them by it.

import Foundation

/// The config keys that do not define a configuration: runs differing only in these are
/// seeds (or copies) of one configuration. `label` names a row, it does not change results.
let perRunConfigKeys: Set<String> = ["seed", "output", "name", "label"]
enum ConfigSettings {
    /// The configured thread count (null: one per core) is replaced by the count the run
    /// used (its provenance), so that equal settings mean equal runs.
    static let threadsPath = "training.threads"

    /// Config paths holding an enum with associated values (`{sampled: {count: 100, ...}}`):
    /// one setting, not several.
    static let enumPaths: Set<String> = ["evaluation.candidates"]

    /// Leaves of `config` without the per-run keys. Objects are walked; arrays, scalars, empty
    /// objects and the `enumPaths` are leaves.
    static func flatten(_ config: JSONValue) -> [String: JSONValue] {
        var leaves: [String: JSONValue] = [:]
        func walk(_ value: JSONValue, _ path: [String]) {
            if case .object(let object) = value, !object.isEmpty, !enumPaths.contains(path.joined(separator: ".")) {
                for (key, child) in object {
                    if path.isEmpty, perRunConfigKeys.contains(key) { continue }
                    walk(child, path + [key])
                }
            } else if !path.isEmpty {
                leaves[path.joined(separator: ".")] = value
            }
        }
        walk(config, [])
        return leaves
    }

    /// The settings the model of `settings` reads (`CellKind.reads(setting:)`): what the
    /// model ignores can neither set two rows apart nor name one. An unknown cell keeps all.
    static func read(by settings: [String: JSONValue]) -> [String: JSONValue] {
        guard case .string(let name)? = settings["model.cell"], let cell = CellKind(rawValue: name) else { return settings }
        return settings.filter { cell.reads(setting: displayPath($0.key)) }
    }

    /// Paths that name rows: present in some of `all` with at least two different values.
    /// A path absent from a row is one its model ignores, so it does not count as a value.
    static func namingPaths(_ all: [[String: JSONValue]]) -> [String] {
        let paths = Set(all.flatMap(\.keys))
        return paths.filter { path in
            let values = all.compactMap { $0[path] }
            guard let first = values.first else { return false }
            return values.contains { $0 != first }
        }.sorted()
    }

    /// `path=value` for every path of `all` with one value wherever it is present, by path:
    /// what the rows share, said once.
    static func sharedParts(_ all: [[String: JSONValue]]) -> [String] {
        let naming = Set(namingPaths(all))
        return Set(all.flatMap(\.keys)).subtracting(naming).sorted().compactMap { path in
            all.lazy.compactMap { $0[path] }.first.map { "\(displayPath(path))=\(text($0))" }
        }
    }

    /// Canonical text of the settings: equal text means the same configuration.
    static func identity(_ settings: [String: JSONValue]) -> String {
        settings.keys.sorted().map { "\($0)=\(text(settings[$0]))" }.joined(separator: "\n")
    }

    /// Settings a config records for one loss only (gbce's calibration): where the loss
    /// differs and some runs lack the key, the key is part of that difference, not another.
    static let lossOnlyPaths: Set<String> = ["training.gbce_t"]

    /// Paths whose value is not the same in every settings map (absent counts as a value).
    static func differingPaths(_ all: [[String: JSONValue]]) -> [String] {
        let paths = Set(all.flatMap(\.keys))
        return paths.filter { path in
            guard let first = all.first else { return false }
            return all.contains { $0[path] != first[path] }
        }.sorted()
    }

    /// The settings in which two configurations differ, as one change each: `differingPaths`
    /// without a `lossOnlyPaths` key that one of them lacks because its loss differs
    /// (bce against gbce is one change, of the loss).
    static func differingSettings(_ pair: [[String: JSONValue]]) -> [String] {
        let differing = differingPaths(pair)
        return differing.filter { path in
            !(lossOnlyPaths.contains(path) && differing.contains("training.loss") && pair.contains { $0[path] == nil })
        }
    }

    /// `hiddenSize` -> `hidden_size`; YAML spells keys in snake_case.
    static func snakeCase(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase {
                if !result.isEmpty { result.append("_") }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// `model.hiddenSize` -> `model.hidden_size`.
    static func displayPath(_ path: String) -> String {
        path.split(separator: ".").map { snakeCase(String($0)) }.joined(separator: ".")
    }

    /// Swift's encoding of an enum case with associated values: an object with one key whose
    /// value is an object. Returns the case name and its payload.
    static func enumCase(_ value: JSONValue) -> (name: String, payload: [String: JSONValue])? {
        guard case .object(let object) = value, object.count == 1, let (name, payload) = object.first,
              case .object(let fields) = payload else { return nil }
        return (name, fields)
    }

    /// Label parts `name=value` for `paths` present in `settings`. A leaf is named by its last
    /// component unless two of `paths` share it.
    static func labelParts(_ settings: [String: JSONValue], paths: [String]) -> [String] {
        func shortName(_ path: String) -> String { path.split(separator: ".").last.map { snakeCase(String($0)) } ?? path }
        let lastNames = paths.map(shortName)
        return paths.compactMap { path in
            guard let value = settings[path] else { return nil }
            let name = lastNames.filter { $0 == shortName(path) }.count > 1 ? displayPath(path) : shortName(path)
            return "\(name)=\(text(value))"
        }
    }

    /// Short human text of a leaf: strings bare, numbers as written, arrays as compact JSON.
    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "-" }
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .unsigned(let number): return String(number)
        case .number(let number): return numberText(number)
        case .string(let string): return string
        case .object:
            // An enum case reads like the report spells candidates: `all`, `sampled-100-uniform`.
            if let (name, payload) = enumCase(value) {
                return ([name] + payload.keys.sorted().map { text(payload[$0]) }).joined(separator: "-")
            }
            return (try? value.canonicalData()).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        case .array:
            return (try? value.canonicalData()).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
    }

    /// `5.0` -> `5`, `0.2` -> `0.2`.
    static func numberText(_ number: Double) -> String {
        if number.isFinite, number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }
}
