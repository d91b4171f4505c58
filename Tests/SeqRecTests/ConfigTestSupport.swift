import Foundation
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// Paths of the repository and its fixtures, found from this file (no SwiftPM resources).
enum ConfigFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")
    static let badConfigs = fixtures.appendingPathComponent("bad-configs")
    static let goodConfigs = fixtures.appendingPathComponent("configs")
    static let experiments = repositoryRoot.appendingPathComponent("experiments")
    static let runnerBinary = repositoryRoot.appendingPathComponent(".build/debug/runner")

    /// SEQREC_UPDATE_FIXTURES=1, the one switch for every test-written file: snapshot tests
    /// rewrite their expected files from the current output (config errors, help, plans,
    /// schema and reference, comparisons) and the sample report fixture is regenerated.
    /// Review the diff before committing.
    static var updating: Bool { ProcessInfo.processInfo.environment["SEQREC_UPDATE_FIXTURES"] == "1" }

    static func yamlFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0) }
    }

    static func read(_ url: URL) -> String {
        (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    /// Writes a temporary YAML file and returns its path.
    static func temporaryFile(_ text: String, name: String = "experiment.yaml") -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("seqrec-config-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try? text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}

/// The message `body` throws, or a marker that it threw nothing.
func errorText(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "(no error)"
    } catch {
        return "\(error)"
    }
}
