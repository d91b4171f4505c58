// Writes report.json and the per-user sidecar, both atomically.

import Foundation

package enum ReportWriter {
    package static let reportFileName = "report.json"
    package static let perUserFileName = "per_user.tsv"

    /// The report's bytes: pretty-printed JSON with sorted keys and a final newline.
    package static func encode(_ report: RunReport) throws -> Data {
        do {
            var data = try ReportCoding.encoder().encode(report)
            data.append(0x0A)
            return data
        } catch {
            throw ReportError.cannotEncode(what: "report", reason: String(describing: error))
        }
    }

    /// Writes `<directory>/report.json` atomically (creating the directory); returns its URL.
    @discardableResult
    package static func write(_ report: RunReport, to directory: URL) throws -> URL {
        try write(report, to: directory, beforeRename: {})
    }

    /// Test seam: `beforeRename` runs after the temporary file is complete.
    static func write(_ report: RunReport, to directory: URL, beforeRename: () throws -> Void) throws -> URL {
        let url = directory.appendingPathComponent(reportFileName)
        try AtomicFile.write(try encode(report), to: url, beforeRename: beforeRename)
        return url
    }

    /// Writes the per-user sidecar atomically; returns its URL. Format (see docs/reports.md, "Per-user sidecar"):
    /// a header line `user<TAB><metric>`, then one `<user><TAB><value>` line per case, in case
    /// order; values use the shortest text that reads back as the same Float, NaN as `NaN`.
    @discardableResult
    package static func writePerUser(_ values: [Float], users: [Int32], metric: String, to directory: URL,
                                    fileName: String = perUserFileName) throws -> URL {
        guard values.count == users.count else {
            throw ReportError.mismatchedPerUser(values: values.count, users: users.count)
        }
        var text = "user\t\(metric)\n"
        text.reserveCapacity(16 * values.count + 32)
        for (user, value) in zip(users, values) {
            text += "\(user)\t\(value.isNaN ? ReportCoding.nan : "\(value)")\n"
        }
        let url = directory.appendingPathComponent(fileName)
        try AtomicFile.write(Data(text.utf8), to: url)
        return url
    }
}
