// A validator for the subset of JSON Schema (draft 2020-12) that schema/report.schema.json
// uses: type (a name or a list), required, properties, additionalProperties (bool or schema),
// items, enum, const, anyOf, and $ref to "#/$defs/<name>". Other keywords (title,
// description, $schema, $id, ...) are annotations and are ignored.

import Foundation

public struct JSONSchemaValidator: Sendable {
    public let schema: JSONValue

    public init(schema: JSONValue) { self.schema = schema }

    /// Loads a schema file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do throws(RegularFileError) {
            data = try RegularFile.read(url)
        } catch {
            throw ReportError.cannotRead(path: url.path, reason: error.reason)
        }
        do {
            schema = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ReportError.invalidReport(path: url.path, reason: "not JSON: \(ReportReader.describe(error))")
        }
    }

    /// Every violation, as `<path>: <problem>` with paths like `$.history[0].epoch`; empty if valid.
    public func validate(_ instance: JSONValue) -> [String] {
        var problems: [String] = []
        check(instance, against: schema, at: "$", problems: &problems)
        return problems
    }

    /// Validates a JSON file (e.g. a written report.json).
    public func validate(fileAt url: URL) throws -> [String] {
        let data: Data
        do throws(RegularFileError) {
            data = try RegularFile.read(url)
        } catch {
            throw ReportError.cannotRead(path: url.path, reason: error.reason)
        }
        do {
            return validate(try JSONDecoder().decode(JSONValue.self, from: data))
        } catch {
            throw ReportError.invalidReport(path: url.path, reason: "not JSON: \(ReportReader.describe(error))")
        }
    }

    private func check(_ instance: JSONValue, against schema: JSONValue, at path: String, problems: inout [String]) {
        switch schema {
        case .bool(true): return
        case .bool(false):
            problems.append("\(path): no value is allowed here")
            return
        case .object: break
        default:
            problems.append("\(path): the schema here is not an object or boolean")
            return
        }

        if case .string(let reference)? = schema["$ref"] {
            let prefix = "#/$defs/"
            if reference.hasPrefix(prefix), let target = self.schema["$defs"]?[String(reference.dropFirst(prefix.count))] {
                check(instance, against: target, at: path, problems: &problems)
            } else {
                problems.append("\(path): unresolvable $ref '\(reference)'")
            }
        }

        if let types = schema["type"] {
            let names: [String]
            switch types {
            case .string(let name): names = [name]
            case .array(let list): names = list.compactMap { if case .string(let name) = $0 { return name } else { return nil } }
            default: names = []
            }
            if !names.contains(where: { Self.matches(instance, type: $0) }) {
                problems.append("\(path): expected \(names.joined(separator: " or ")), found \(Self.typeName(instance))")
                return  // the remaining keywords would only repeat the mismatch
            }
        }

        if case .array(let allowed)? = schema["enum"], !allowed.contains(where: { Self.equal($0, instance) }) {
            problems.append("\(path): \(Self.short(instance)) is not one of \(allowed.map(Self.short).joined(separator: ", "))")
        }
        if let constant = schema["const"], !Self.equal(constant, instance) {
            problems.append("\(path): expected \(Self.short(constant)), found \(Self.short(instance))")
        }

        if case .array(let options)? = schema["anyOf"] {
            let matched = options.contains { option in
                var optionProblems: [String] = []
                check(instance, against: option, at: path, problems: &optionProblems)
                return optionProblems.isEmpty
            }
            if !matched { problems.append("\(path): \(Self.short(instance)) matches none of the anyOf alternatives") }
        }

        if case .object(let object) = instance {
            if case .array(let required)? = schema["required"] {
                for case .string(let key) in required where object[key] == nil {
                    problems.append("\(path): missing required key '\(key)'")
                }
            }
            var properties: [String: JSONValue] = [:]
            if case .object(let declared)? = schema["properties"] { properties = declared }
            for key in object.keys.sorted() {
                guard let value = object[key] else { continue }
                let childPath = "\(path).\(key)"
                if let propertySchema = properties[key] {
                    check(value, against: propertySchema, at: childPath, problems: &problems)
                } else if let additional = schema["additionalProperties"] {
                    if case .bool(false) = additional {
                        problems.append("\(path): unexpected key '\(key)'")
                    } else {
                        check(value, against: additional, at: childPath, problems: &problems)
                    }
                }
            }
        }

        if case .array(let elements) = instance, let itemSchema = schema["items"] {
            for (index, element) in elements.enumerated() {
                check(element, against: itemSchema, at: "\(path)[\(index)]", problems: &problems)
            }
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("number", .integer), ("number", .unsigned), ("number", .number),
             ("integer", .integer), ("integer", .unsigned):
            return true
        case ("integer", .number(let number)):
            return number.isFinite && number.rounded() == number
        default:
            return false
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer, .unsigned: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// JSON equality with numbers compared by value (1 == 1.0).
    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = numeric(a), let y = numeric(b) { return x == y }
        return a == b
    }

    private static func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let number): return Double(number)
        case .unsigned(let number): return Double(number)
        case .number(let number): return number
        default: return nil
        }
    }

    private static func short(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "'\(text)'"
        case .null: return "null"
        case .bool(let flag): return String(flag)
        case .integer(let number): return String(number)
        case .unsigned(let number): return String(number)
        case .number(let number): return String(number)
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
