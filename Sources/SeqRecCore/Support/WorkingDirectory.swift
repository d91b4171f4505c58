// Paths relative to the current directory, when that directory's own path is not UTF-8
// (`/data/caf\xe9/exp`, a Latin-1 name). Foundation makes a relative path absolute with
// getcwd() decoded as UTF-8, which turns such bytes into U+FFFD: the result names another
// directory, which a run would then create and write its results into. Here the current
// directory is then named by `/proc/self/cwd` instead, a path the kernel resolves to the real
// directory whatever its name, so the runner works there (messages show `/proc/self/cwd/...`).
// Every relative path a command turns into a URL or an absolute path goes through here.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum WorkingDirectory {
    /// Whether getcwd() is UTF-8 (then Foundation's own absolute paths are right).
    public static var isUTF8: Bool {
        guard let bytes = currentDirectoryBytes() else { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    /// The current directory as a path that names it: getcwd() when it is UTF-8, else `/proc/self/cwd`.
    public static var path: String {
        #if os(Linux)
        if !isUTF8 { return "/proc/self/cwd" }
        #endif
        return FileManager.default.currentDirectoryPath
    }

    /// A file URL for `path`; a relative path is taken relative to `WorkingDirectory.path`.
    public static func url(_ path: String) -> URL {
        if path.hasPrefix("/") || isUTF8 { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: Self.path, isDirectory: true).appendingPathComponent(path)
    }

    private static func currentDirectoryBytes() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let found = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.baseAddress.map { getcwd(UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self), pointer.count) } ?? nil
        }
        guard found != nil, let end = buffer.firstIndex(of: 0) else { return nil }
        return Array(buffer[..<end])
    }
}
