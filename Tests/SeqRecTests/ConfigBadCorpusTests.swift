import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Snapshot corpus: every Tests/Fixtures/bad-configs/NAME.yaml must be rejected with
// exactly the text in NAME.expected. A first-line comment `# set: key=value` adds a
// `--set` override; `# load: single` loads with `ConfigLoader.load` instead of `loadGrid`,
// `# load: tune` with `ConfigLoader.loadTune` (a tune file).

struct BadConfigCase: CustomTestStringConvertible, Sendable {
    var name: String
    var testDescription: String { name }
}

let badConfigCases = ConfigFixtures.yamlFiles(in: ConfigFixtures.badConfigs).map {
    BadConfigCase(name: $0.deletingPathExtension().lastPathComponent)
}

@Test func badConfigCorpusIsLargeEnough() {
    #expect(badConfigCases.count >= 25)
}

@Test(arguments: badConfigCases)
func badConfigIsRejectedWithExactText(_ testCase: BadConfigCase) throws {
    let url = ConfigFixtures.badConfigs.appendingPathComponent("\(testCase.name).yaml")
    let expectedURL = ConfigFixtures.badConfigs.appendingPathComponent("\(testCase.name).expected")
    let header = String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self)
        .split(separator: "\n").first.map(String.init) ?? ""
    let overrides = header.hasPrefix("# set: ") ? [String(header.dropFirst("# set: ".count))] : []
    let displayName = "bad-configs/\(testCase.name).yaml"

    var message: String?
    do {
        if header == "# load: single" {
            _ = try ConfigLoader.load(path: url.path, displayName: displayName, overrides: overrides)
        } else if header == "# load: tune" {
            _ = try ConfigLoader.loadTune(path: url.path, displayName: displayName, overrides: overrides)
        } else {
            _ = try ConfigLoader.loadGrid(path: url.path, displayName: displayName, overrides: overrides)
        }
    } catch {
        message = error.description
    }
    let actual = try #require(message, "\(testCase.name) was accepted")
    if ConfigFixtures.updating {
        try (actual + "\n").write(to: expectedURL, atomically: true, encoding: .utf8)
    }
    let expected = ConfigFixtures.read(expectedURL)
    #expect(actual + "\n" == expected)
}
