// The two ways a built-in dataset reaches this machine: an HTTP download of the official
// zip (short timeout, so an offline machine moves on quickly), and `pip download` of a
// PyPI package that bundles the same file. Both return the raw bytes of one archive entry.

import Foundation
import ZIPFoundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One way to obtain a dataset's file; `fetch` returns the entry's bytes or throws a reason.
struct AcquisitionSource: Sendable {
    /// Shown in progress lines and in the all-sources-failed error, e.g. "GroupLens <url>".
    var name: String
    /// Recorded as `DataSourceInfo.acquiredFrom`.
    var origin: String
    /// Whether the fetched file starts with a header line that is not data.
    var hasHeader: Bool
    var fetch: @Sendable (_ log: (String) -> Void) throws -> [UInt8]
}

/// A source's failure reason, carried as an error.
struct SourceError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum DownloadSources {
    /// Seconds to wait for a connection or for the next bytes of a response.
    static let requestTimeout: TimeInterval = 5

    /// Downloads the zip at `url` and returns the entry at `entryPath`.
    static func zipEntry(url address: String, entryPath: String, log: (String) -> Void) throws -> [UInt8] {
        guard let url = URL(string: address) else { throw SourceError("invalid URL \(address)") }
        log("downloading \(address) (timeout \(Int(requestTimeout)) s) ...")
        let start = Date()
        let data = try httpGet(url, log: log)
        log(String(format: "downloaded %.1f MB in %.1f s", Double(data.count) / 1_000_000, Date().timeIntervalSince(start)))
        return try entry(entryPath, inArchive: Archive(data: data, accessMode: .read), archiveName: url.lastPathComponent)
    }

    /// Runs `python3 -m pip download --no-deps <requirement>` into a temporary directory
    /// and returns `entryPath` from the downloaded wheel.
    static func pipWheelEntry(requirement: String, entryPath: String, log: (String) -> Void) throws -> [UInt8] {
        guard let python = executableOnPath(["python3", "python"]) else {
            throw SourceError("neither python3 nor python is on PATH")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-pip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let arguments = ["-m", "pip", "download", "--no-deps", "--no-binary", ":none:", requirement,
                         "-d", directory.path, "--progress-bar", "off", "--disable-pip-version-check",
                         "--retries", "1", "--timeout", "15"]
        log("running \(python) \(arguments.joined(separator: " ")) ...")
        let start = Date()
        let (status, output) = try run(python, arguments: arguments) { log("  pip: \($0)") }
        guard status == 0 else {
            let lastLine = output.split(separator: "\n").last.map(String.init) ?? "no output"
            throw SourceError("pip exited with status \(status): \(lastLine)")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        guard let wheel = files.first(where: { $0.hasSuffix(".whl") }) else {
            throw SourceError("pip did not produce a wheel (files: \(files.joined(separator: ", ")))")
        }
        log(String(format: "pip download finished in %.1f s", Date().timeIntervalSince(start)))
        let archive = try Archive(url: directory.appendingPathComponent(wheel), accessMode: .read)
        return try entry(entryPath, inArchive: archive, archiveName: wheel)
    }

    // MARK: - Helpers

    private static func entry(_ path: String, inArchive archive: Archive, archiveName: String) throws -> [UInt8] {
        guard let entry = archive[path] else { throw SourceError("\(archiveName) has no entry \(path)") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        _ = try archive.extract(entry) { chunk in bytes.append(contentsOf: chunk) }
        return bytes
    }

    /// GET with `requestTimeout` for the connection and between bytes; non-2xx is an error.
    /// Logs the bytes received so far every couple of seconds while the transfer runs.
    private static func httpGet(_ url: URL, log: (String) -> Void) throws -> Data {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = requestTimeout
        configuration.timeoutIntervalForResource = 600
        let transfer = TransferState()
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: URLRequest(url: url, timeoutInterval: requestTimeout)).resume()
        var lastReported = 0
        while transfer.done.wait(timeout: .now() + 2) == .timedOut {
            let (received, expected) = transfer.progress()
            if received > lastReported {
                let total = expected > 0 ? String(format: " of %.1f MB", Double(expected) / 1_000_000) : ""
                log(String(format: "  received %.1f MB", Double(received) / 1_000_000) + total)
                lastReported = received
            }
        }
        let (data, statusCode, error) = transfer.result()
        if let urlError = error as? URLError, urlError.code == .timedOut {
            throw SourceError("no connection or no data within \(Int(requestTimeout)) s (timed out)")
        }
        if let error { throw SourceError(error.localizedDescription) }
        guard let statusCode, (200..<300).contains(statusCode) else {
            throw SourceError("HTTP status \(statusCode.map { String($0) } ?? "missing")")
        }
        guard !data.isEmpty else { throw SourceError("empty response") }
        return data
    }

    /// Runs a process, forwarding each output line (stdout and stderr merged) to `onLine`.
    private static func run(_ executable: String, arguments: [String],
                            onLine: (String) -> Void) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SourceError("cannot start \(executable): \(error.localizedDescription)")
        }
        var output = ""
        var pending = Data()
        let reader = pipe.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                let trimmed = line.trimmingSpaces()
                if !trimmed.isEmpty { onLine(trimmed) }
                output += line + "\n"
            }
        }
        if !pending.isEmpty {
            let line = String(decoding: pending, as: UTF8.self)
            onLine(line.trimmingSpaces())
            output += line
        }
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// The first of `names` found as an executable in a PATH directory.
    static func executableOnPath(_ names: [String]) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
            .split(separator: ":").map(String.init)
        for name in names {
            for directory in directories where !directory.isEmpty {
                let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name).path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }
}

/// Collects a download on URLSession's delegate queue; the waiting thread reads it under the lock.
private final class TransferState: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var data = Data()
    private var expectedLength: Int64 = -1
    private var status: Int?
    private var error: (any Error)?

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        lock.withLock {
            status = (response as? HTTPURLResponse)?.statusCode
            expectedLength = response.expectedContentLength
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive chunk: Data) {
        lock.withLock { data.append(chunk) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.withLock { self.error = error }
        done.signal()
    }

    func progress() -> (received: Int, expected: Int64) {
        lock.withLock { (data.count, expectedLength) }
    }

    func result() -> (Data, Int?, (any Error)?) {
        lock.withLock { (data, status, error) }
    }
}
