import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Every input a fuzz target once crashed on (libFuzzer's minimized input, committed as
// Tests/Fixtures/fuzz-regressions/<target>/<name>) goes through the same entry point the fuzzer
// drives (`FuzzTarget.run`): it must not crash, and a rejection must say where. `<name>.expected`
// holds the outcome's exact text ("accepted" or the error message), snapshot style.

let fuzzRegressions = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz-regressions")

struct FuzzRegressionCase: CustomTestStringConvertible, Sendable {
    var target: String
    var input: String
    var testDescription: String { "\(target)/\(input)" }
}

let fuzzRegressionCases: [FuzzRegressionCase] = {
    let manager = FileManager.default
    let targets = (try? manager.contentsOfDirectory(atPath: fuzzRegressions.path)) ?? []
    return targets.sorted().flatMap { target in
        let inputs = (try? manager.contentsOfDirectory(atPath: fuzzRegressions.appendingPathComponent(target).path)) ?? []
        return inputs.sorted().filter { !$0.hasSuffix(".expected") }.map { FuzzRegressionCase(target: target, input: $0) }
    }
}()

@Test func fuzzRegressionFoldersNameTargets() {
    let names = Set(fuzzRegressionCases.map(\.target))
    for name in names {
        #expect(FuzzTarget(rawValue: name) != nil, "Tests/Fixtures/fuzz-regressions/\(name) is not a fuzz target")
    }
}

@Test(arguments: fuzzRegressionCases)
func fuzzRegressionInputIsHandled(_ regression: FuzzRegressionCase) throws {
    let target = try #require(FuzzTarget(rawValue: regression.target))
    let folder = fuzzRegressions.appendingPathComponent(regression.target)
    let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(regression.input)))
    let outcome = target.run(bytes)
    let text: String
    switch outcome {
    case .accepted:
        text = "accepted"
    case .rejected(let message):
        text = message
        if target == .config {
            // A config error names the input and, past the UTF-8 check, its line and column.
            #expect(message.hasPrefix("\(FuzzTarget.displayName):"), "\(message)")
        }
    }
    let expectedURL = folder.appendingPathComponent(regression.input + ".expected")
    let expected = try String(contentsOf: expectedURL, encoding: .utf8)
    #expect(text + "\n" == expected)
}
