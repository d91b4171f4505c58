import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The real `runner` binary on tiny experiments: a complete report that validates against
// schema/report.schema.json, divergence, interruption, and a rejected config.

private let tinyConfig = ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path
private let reportSchema = ConfigFixtures.repositoryRoot.appendingPathComponent("schema/report.schema.json")

private struct Launched {
    let process: Process
    let stderrURL: URL
    var stderr: String { ConfigFixtures.read(stderrURL) }
}

/// Starts the runner with stdout/stderr captured in files under `scratch`.
private func launchRunner(_ arguments: [String], scratch: URL) throws -> Launched {
    let stdoutURL = scratch.appendingPathComponent("stdout"), stderrURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
    let process = Process()
    process.executableURL = ConfigFixtures.runnerBinary
    process.arguments = arguments
    process.currentDirectoryURL = ConfigFixtures.repositoryRoot
    process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
    process.standardError = try FileHandle(forWritingTo: stderrURL)
    try process.run()
    return Launched(process: process, stderrURL: stderrURL)
}

private func makeScratch() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite(.serialized) struct EndToEndTests {
    @Test func tinyExperimentWritesAReportThatMatchesTheSchema() throws {
        let scratch = try makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        let run = try launchRunner([tinyConfig, "--quiet", "--set", "output.dir=\(output.path)"], scratch: scratch)
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus == 0, "stderr: \(run.stderr)")

        let reportURL = output.appendingPathComponent("report.json")
        let violations = try JSONSchemaValidator(contentsOf: reportSchema).validate(fileAt: reportURL)
        #expect(violations == [])
        let report = try ReportReader.read(reportURL)
        #expect(report.status == .ok)
        #expect(report.history.count == 2)
        #expect(report.history.allSatisfy { $0.trainLoss.isFinite && $0.validation?["ndcg@10"] != nil })
        #expect(report.test?.metrics.keys.sorted() == ["hr@10", "mrr@10", "ndcg@10"])
        #expect(report.test?.sampled == false)
        #expect(report.dataset?.users == 120)
        #expect(report.split?.testCases == 120)
        #expect((report.parameterCount ?? 0) > 0)
        // The per-user sidecar holds one value per test case.
        let perUser = try ReportReader.readPerUser(output.appendingPathComponent("per_user.tsv"))
        #expect(perUser.values.count == 120)
    }

    @Test func absurdLearningRateDivergesWithExitCodeOne() throws {
        let scratch = try makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        let run = try launchRunner([
            tinyConfig, "--quiet", "--set", "output.dir=\(output.path)",
            "--set", "training.optimizer={name: sgd, learning_rate: 1.0e30}", "--set", "training.clip_norm=null",
        ], scratch: scratch)
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus == 1)
        let report = try ReportReader.read(output.appendingPathComponent("report.json"))
        #expect(report.status == .diverged)
        #expect(report.message?.hasPrefix("training diverged at step 2 (epoch 1, batch 2): ") == true, "\(report.message ?? "")")
        #expect(report.message?.hasSuffix("Lower training.optimizer.learning_rate or set training.clip_norm") == true)
        #expect(report.test == nil)
    }

    @Test func sigintWritesAnInterruptedReport() throws {
        let scratch = try makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        // Many epochs, so that the run is still training when the signal arrives.
        let run = try launchRunner([
            tinyConfig, "--set", "output.dir=\(output.path)", "--set", "training.epochs=100000",
            "--set", "training.early_stopping=null",
        ], scratch: scratch)
        // Wait for the first epoch line (progress goes to stderr), then interrupt.
        let deadline = Date().addingTimeInterval(60)
        while !run.stderr.contains("epoch   1") && Date() < deadline && run.process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(run.stderr.contains("epoch   1"))
        kill(run.process.processIdentifier, SIGINT)
        // The run must stop after its current batch; never hang the suite if it does not.
        let stopBy = Date().addingTimeInterval(30)
        while run.process.isRunning && Date() < stopBy { Thread.sleep(forTimeInterval: 0.05) }
        if run.process.isRunning {
            kill(run.process.processIdentifier, SIGKILL)
            Issue.record("the runner ignored SIGINT for 30 s")
        }
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus == 1)
        let report = try ReportReader.read(output.appendingPathComponent("report.json"))
        #expect(report.status == .interrupted)
        #expect(report.message?.contains("signal 2") == true)
        #expect(report.history.count >= 1)
    }
}
