// `mkdir -p` that says exactly what is in the way: which part of the path is a file, or the
// system's reason for the part that could not be created (permission, read-only file system,
// full disk, a name too long).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory that could not be created: the reason, naming the part of the path at fault.
public struct DirectoryCreationError: Error, Equatable, CustomStringConvertible {
    /// The directory that was asked for.
    public var path: String
    /// e.g. `'results/a' is not a directory`, `cannot create 'results/x': Permission denied`.
    public var reason: String

    public var description: String { reason }
}

public enum DirectoryCreation {
    /// The longest file name most file systems accept (NAME_MAX), in bytes.
    package static let nameLimit = 255

    /// Creates `path` and its missing parents; an existing directory (or a symbolic link to
    /// one) is fine.
    public static func create(_ path: String) throws(DirectoryCreationError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if component == "." { continue }
            switch kind(prefix) {
            case .directory: continue
            case .other:
                throw DirectoryCreationError(path: path, reason: notADirectory(prefix, of: path))
            case .missing:
                guard mkdir(prefix, 0o777) != 0 else { continue }
                let number = errno
                if number == EEXIST, kind(prefix) == .directory { continue }  // made by someone else meanwhile
                if number == EEXIST {
                    throw DirectoryCreationError(path: path, reason: notADirectory(prefix, of: path))
                }
                var reason = "cannot create '\(prefix)': \(String(cString: strerror(number)))"
                if number == ENAMETOOLONG {
                    let longest = path.split(separator: "/").map(\.utf8.count).max() ?? 0
                    if longest > nameLimit {
                        reason += " (a name in the path has \(longest) bytes; at most \(nameLimit) are allowed)"
                    }
                }
                throw DirectoryCreationError(path: path, reason: reason)
            }
        }
    }

    private enum Kind { case directory, other, missing }

    private static func kind(_ path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .other
    }

    private static func notADirectory(_ prefix: String, of path: String) -> String {
        trimmedSlashes(prefix) == trimmedSlashes(path)
            ? "it exists and is not a directory" : "'\(prefix)' is not a directory"
    }

    private static func trimmedSlashes(_ path: String) -> String {
        var text = Substring(path)
        while text.count > 1, text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }
}
