// What is at a path, found with stat(2) before anything is opened: a config or data file
// must be a regular file. Opening a FIFO for reading blocks until a writer appears, and
// reading /dev/zero never ends; a directory "fails" with a misleading permission or
// Cocoa error. Messages say what the path is instead.
//
// Why `Support/`: Config (`extends:`, the files on the command line) and Data
// (`dataset.path`) both read user-named files, and `Support/` sits below both.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FileKind: Equatable, Sendable {
    /// A regular file of `size` bytes (symbolic links are followed).
    case regular(size: Int)
    case missing
    case directory
    case fifo
    case characterDevice
    case blockDevice
    case socket
    /// stat itself failed (`errno` text), e.g. a parent directory without search permission.
    case unknown(String)

    /// What is at `path`, following symbolic links.
    static func of(_ path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return .missing }
            return .unknown(String(cString: strerror(code)))
        }
        return FileKind(mode: info.st_mode, size: Int(info.st_size))
    }

    /// The kind a stat(2) or fstat(2) result describes.
    init(mode: mode_t, size: Int) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular(size: size)
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        default: self = .unknown("not a regular file")
        }
    }

    /// Why a file of this kind cannot be read as a file, or nil for a regular file:
    /// "does not exist", "is a directory", "is not a regular file (a FIFO)", ...
    var problem: String? {
        switch self {
        case .regular: return nil
        case .missing: return "does not exist"
        case .directory: return "is a directory"
        case .fifo: return "is not a regular file (a FIFO)"
        case .characterDevice: return "is not a regular file (a character device)"
        case .blockDevice: return "is not a regular file (a block device)"
        case .socket: return "is not a regular file (a socket)"
        case .unknown(let reason): return "cannot be examined: \(reason.lowercasedFirst)"
        }
    }
}

extension String {
    fileprivate var lowercasedFirst: String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}
