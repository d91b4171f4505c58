// One report read from disk, with where it was found and its per-user sidecar.

import Foundation

public struct LoadedRun: Sendable {
    package var report: RunReport
    /// The directory holding report.json.
    package var directory: URL
    /// How the directory is shown: the search path as the user gave it, plus the rest.
    public var displayPath: String
    /// The test pass's per-user values, when the report names a sidecar that exists.
    package var perUser: PerUserValues?
    /// For an evaluation file: why it no longer describes the run's model (it scored another
    /// model.safetensors, or does not say which), or nil. Such a run stays out of the table.
    package var staleEvaluation: String?
    /// The `evaluation-*.json` file this run stands for (`runner evaluate`), nil for the
    /// report's own test pass. Its history is the training's, measured under another protocol.
    package var evaluationFile: String?

    package init(report: RunReport, directory: URL, displayPath: String? = nil, perUser: PerUserValues? = nil) {
        self.report = report
        self.directory = directory
        self.displayPath = displayPath ?? directory.path
        self.perUser = perUser
    }

    /// The config's `seed`, nil when absent.
    package var seed: UInt64? {
        switch report.config["seed"] {
        case .integer(let value)?: return value >= 0 ? UInt64(value) : nil
        case .unsigned(let value)?: return value
        default: return nil
        }
    }
}

package enum CompareError: Error, Equatable, CustomStringConvertible {
    case pathNotFound(String)
    case noReports(paths: [String])

    package var description: String {
        switch self {
        case .pathNotFound(let path):
            return "'\(path)' does not exist, expected a report.json or a directory holding reports"
        case .noReports(let paths):
            return "no report.json found under \(paths.map { "'\($0)'" }.joined(separator: ", "))"
        }
    }
}

extension ComparisonBuilder {
    /// Finds report.json files: a file path is taken as is, a directory is searched
    /// recursively (hidden directories skipped). Sorted by path, duplicates removed.
    static func findReports(paths: [String]) throws -> [(url: URL, display: String)] {
        var found: [(url: URL, display: String)] = []
        var seen = Set<String>()
        let fileManager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CompareError.pathNotFound(path)
            }
            let root = WorkingDirectory.url(path).standardizedFileURL
            var urls: [URL] = []
            if isDirectory.boolValue {
                let enumerator = fileManager.enumerator(at: root, includingPropertiesForKeys: nil,
                                                        options: [.skipsHiddenFiles])
                while let url = enumerator?.nextObject() as? URL {
                    if url.lastPathComponent == ReportWriter.reportFileName { urls.append(url.standardizedFileURL) }
                }
            } else {
                urls.append(root)
            }
            let trimmedPath = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
            for url in urls.sorted(by: { $0.path < $1.path }) where seen.insert(url.path).inserted {
                let directory = url.deletingLastPathComponent().path
                let display: String
                if isDirectory.boolValue {
                    let rest = directory.dropFirst(root.path.count).drop { $0 == "/" }
                    display = rest.isEmpty ? trimmedPath : "\(trimmedPath)/\(rest)"
                } else {
                    display = trimmedPath.contains("/") ? String(trimmedPath[..<(trimmedPath.lastIndex(of: "/") ?? trimmedPath.endIndex)]) : "."
                }
                found.append((url, display))
            }
        }
        return found
    }
}
