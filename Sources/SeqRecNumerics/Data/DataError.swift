// Every way the data layer can fail, each with a message that says what, where, and
// what was expected instead. Tests compare these texts exactly.

import Foundation

public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `dataset.path` (resolved against the config directory) does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// The extension does not say which format a file is in.
    case ambiguousFormat(path: String)
    /// A row (or the header) is malformed; `line` is 1-based.
    case malformedRow(file: String, line: Int, reason: String)
    /// The header lacks a column the mapping asks for.
    case missingColumn(file: String, line: Int, column: String, role: String, available: [String])
    /// No interactions at all, or none left after the named filter.
    case emptyDataset(stage: String)
    /// `dataset.name` is not a built-in dataset.
    case unknownBuiltin(name: String)
    /// Downloaded or cached data does not match what the built-in dataset must contain.
    case verificationFailed(dataset: String, reason: String)
    /// A verified download could not be written into the cache.
    case storeFailed(path: String, reason: String)
    /// Every acquisition source failed; each `(source, reason)` in the order tried.
    case acquisitionFailed(dataset: String, failures: [SourceFailure], manualCommand: String)
    /// The synthetic generator's parameters cannot produce the planted pattern.
    case invalidSynthetic(reason: String)
    /// The split settings cannot be applied to this data.
    case invalidSplit(reason: String)

    public struct SourceFailure: Equatable, Sendable {
        package var source: String
        package var reason: String
        package init(source: String, reason: String) {
            self.source = source
            self.reason = reason
        }
    }

    /// The message. Paths, ids, header names and field text come from the user's files,
    /// so they are escaped for the terminal (`\x1b`, not an escape sequence).
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "dataset file not found: \(path.escapedForTerminal)"
        case .unreadableFile(let path, let reason):
            return "cannot read dataset file \(path.escapedForTerminal): \(reason.escapedForTerminal)"
        case .ambiguousFormat(let path):
            let formats = DataFormat.allCases.map(\.rawValue).joined(separator: ", ")
            return "cannot tell the format of \(path.escapedForTerminal) from its extension; set dataset.format to one of: \(formats)"
        case .malformedRow(let file, let line, let reason):
            return "\(file.escapedForTerminal):\(line): \(reason.escapedForTerminal)"
        case .missingColumn(let file, let line, let column, let role, let available):
            return "\(file.escapedForTerminal):\(line): header has no \(role) column '\(column.escapedForTerminal)' "
                + "(columns: \(available.joined(separator: ", ").escapedForTerminal))"
        case .emptyDataset(let stage):
            return "dataset is empty \(stage.escapedForTerminal)"
        case .unknownBuiltin(let name):
            return "unknown built-in dataset '\(name.escapedForTerminal)'; built-in datasets: "
                + BuiltinDataset.allNames.joined(separator: ", ") + Suggestion.hint(for: name, among: BuiltinDataset.allNames)
        case .verificationFailed(let dataset, let reason):
            return "\(dataset) failed verification: \(reason.escapedForTerminal)"
        case .storeFailed(let path, let reason):
            return "cannot store \(path.escapedForTerminal): \(reason.escapedForTerminal)"
        case .acquisitionFailed(let dataset, let failures, let manualCommand):
            var lines = ["could not acquire \(dataset); every source failed:"]
            for (index, failure) in failures.enumerated() {
                lines.append("  \(index + 1). \(failure.source.escapedForTerminal): \(failure.reason.escapedForTerminal)")
            }
            lines.append("To place the file by hand, run:")
            lines.append("  \(manualCommand.escapedForTerminal)")
            return lines.joined(separator: "\n")
        case .invalidSynthetic(let reason):
            return "invalid dataset.synthetic: \(reason)"
        case .invalidSplit(let reason):
            return "invalid split: \(reason)"
        }
    }
}

/// Lets Foundation's `localizedDescription` show our message instead of a generic one.
extension DataError: LocalizedError {
    public var errorDescription: String? { description }
}
