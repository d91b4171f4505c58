// Why a saved model or training state cannot be used; every message names the file.

/// A checkpoint that cannot be used; the message names the file and what is wrong.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case missing(path: String, kind: String)
    /// The path is not a regular file (a FIFO, a device, a directory), or the system refuses to read it.
    case cannotRead(path: String, kind: String, reason: String)
    case unreadable(path: String, reason: String)
    case wrongFormat(path: String, expected: String, found: String?)
    case otherConfig(path: String, expected: String, found: String)
    case missingTensor(path: String, name: String)
    case unexpectedTensor(path: String, name: String)
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])
    /// A tensor holds NaN or an infinity: `count` of them, the first at element `index`
    /// (`value` as text), inside `parameter` when the tensor is arena-shaped.
    case nonFinite(path: String, name: String, count: Int, index: Int, value: String, parameter: String?)
    /// A saved training state's field disagrees with the config or with the rest of the file.
    case inconsistentState(path: String, field: String, found: String, expected: String)
    case optimizerState(path: String, OptimizerStateError)

    public var description: String {
        switch self {
        case .missing(let path, let kind): "\(path): no \(kind) (the file does not exist)"
        case .cannotRead(let path, let kind, let reason): "\(path): cannot read the \(kind): \(reason)"
        case .unreadable(let path, let reason): "\(path): corrupt or truncated: \(reason)"
        case .wrongFormat(let path, let expected, let found):
            "\(path): not a seqrec file of format \(expected) (format: \(found ?? "none"))"
        case .otherConfig(let path, let expected, let found):
            "\(path): written by another config (config hash \(found.prefix(12)), expected \(expected.prefix(12)))"
        case .missingTensor(let path, let name): "\(path): tensor '\(name)' is missing"
        case .unexpectedTensor(let path, let name): "\(path): unexpected tensor '\(name)' (not a parameter of this model)"
        case .wrongShape(let path, let name, let expected, let found):
            "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
        case .nonFinite(let path, let name, let count, let index, let value, let parameter):
            "\(path): tensor '\(name)' holds \(count) non-finite value\(count == 1 ? "" : "s") (the first, \(value), at element \(index)"
                + (parameter.map { ", in \($0)" } ?? "") + "): the file is corrupt (a run never saves non-finite weights)"
        case .inconsistentState(let path, let field, let found, let expected):
            "\(path): \(field) is \(found), expected \(expected): the file is corrupt or was edited"
        case .optimizerState(let path, let error): "\(path): \(error)"
        }
    }
}
