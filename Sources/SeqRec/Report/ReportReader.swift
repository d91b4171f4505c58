// Reads reports and per-user sidecars back (for `compare` and tests).

import Foundation

/// The content of a per-user sidecar.
package struct PerUserValues: Sendable, Equatable {
    package var metric: String
    package var users: [Int32]
    package var values: [Float]

    package init(metric: String, users: [Int32], values: [Float]) {
        self.metric = metric
        self.users = users
        self.values = values
    }
}

package enum ReportReader {
    private struct VersionProbe: Decodable {
        var schemaVersion: Int
        enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
    }

    /// Reads a report.json; rejects newer schema versions with a clear error.
    package static func read(_ url: URL) throws -> RunReport {
        let data: Data
        do throws(RegularFileError) {
            data = try RegularFile.read(url)
        } catch {
            throw ReportError.cannotRead(path: url.path, reason: error.reason)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes the bytes of a report.json; `path` names it in errors.
    static func decode(_ data: Data, path: String) throws -> RunReport {
        let decoder = ReportCoding.decoder()
        let version: Int
        do {
            version = try decoder.decode(VersionProbe.self, from: data).schemaVersion
        } catch {
            throw ReportError.invalidReport(path: path, reason: describe(error))
        }
        guard version <= RunReport.currentSchemaVersion else {
            throw ReportError.unsupportedSchemaVersion(path: path, found: version,
                                                       supported: RunReport.currentSchemaVersion)
        }
        do {
            return try decoder.decode(RunReport.self, from: data)
        } catch {
            throw ReportError.invalidReport(path: path, reason: describe(error))
        }
    }

    /// Reads a sidecar written by `ReportWriter.writePerUser`.
    package static func readPerUser(_ url: URL) throws -> PerUserValues {
        let bytes: Data
        do throws(RegularFileError) {
            bytes = try RegularFile.read(url)
        } catch {
            throw ReportError.cannotRead(path: url.path, reason: error.reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReportError.cannotRead(path: url.path, reason: "it is not UTF-8 text")
        }
        return try parsePerUser(text, path: url.path)
    }

    /// Parses the text of a per-user sidecar; `path` names it in errors.
    static func parsePerUser(_ text: String, path: String) throws -> PerUserValues {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first else {
            throw ReportError.invalidPerUserFile(path: path, line: 1, reason: "empty file, expected 'user<TAB><metric>'")
        }
        let headerFields = header.split(separator: "\t", omittingEmptySubsequences: false)
        guard headerFields.count == 2, headerFields[0] == "user", !headerFields[1].isEmpty else {
            throw ReportError.invalidPerUserFile(path: path, line: 1,
                                                 reason: "expected header 'user<TAB><metric>', found '\(header)'")
        }
        var result = PerUserValues(metric: String(headerFields[1]), users: [], values: [])
        for (index, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2, let user = Int32(fields[0]), let value = Float(fields[1]) else {
                throw ReportError.invalidPerUserFile(path: path, line: index + 1,
                                                     reason: "expected '<user><TAB><value>', found '\(line)'")
            }
            result.users.append(user)
            result.values.append(value)
        }
        return result
    }

    /// A decoding error as one line: what and at which key path.
    static func describe(_ error: Error) -> String {
        func path(_ codingPath: [CodingKey]) -> String {
            codingPath.isEmpty ? "top level" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".")
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing key '\(key.stringValue)' at \(path(context.codingPath))"
        case .typeMismatch(let type, let context)?:
            return "wrong type at \(path(context.codingPath)), expected \(type)"
        case .valueNotFound(let type, let context)?:
            return "null at \(path(context.codingPath)), expected \(type)"
        case .dataCorrupted(let context)?:
            // At the top level: the bytes are not JSON ("The given data was not valid JSON.").
            return context.codingPath.isEmpty ? context.debugDescription
                : "\(context.debugDescription) at \(path(context.codingPath))"
        default:
            return String(describing: error)
        }
    }
}
