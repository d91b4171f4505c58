// Errors of writing and reading reports, with the path and what went wrong.

package enum ReportError: Error, Equatable, CustomStringConvertible {
    case cannotCreateDirectory(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case cannotEncode(what: String, reason: String)
    case cannotRead(path: String, reason: String)
    case invalidReport(path: String, reason: String)
    case unsupportedSchemaVersion(path: String, found: Int, supported: Int)
    case invalidPerUserFile(path: String, line: Int, reason: String)
    case mismatchedPerUser(values: Int, users: Int)

    package var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create report directory '\(path)': \(reason)"
        case .cannotWrite(let path, let reason):
            return "cannot write '\(path)': \(reason)"
        case .cannotEncode(let what, let reason):
            return "cannot encode \(what): \(reason)"
        case .cannotRead(let path, let reason):
            return "cannot read '\(path)': \(reason)"
        case .invalidReport(let path, let reason):
            return "'\(path)' is not a seqrec report: \(reason)"
        case .unsupportedSchemaVersion(let path, let found, let supported):
            return "'\(path)' has schema_version \(found), expected at most \(supported)"
        case .invalidPerUserFile(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .mismatchedPerUser(let values, let users):
            return "per-user values: \(values) values for \(users) users, expected the same count"
        }
    }
}
