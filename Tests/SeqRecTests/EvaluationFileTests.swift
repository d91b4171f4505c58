// `runner evaluate` scores a finished model only: it takes the run directory's lock (a run
// still training there is refused), records the SHA-256 and epoch of the model file it
// scored, and `runner compare` leaves out an evaluation whose model is no longer the run's.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private let tinyConfig = ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path
private let schemaURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("schema/evaluation.schema.json")

private struct RunFailed: Error { var message: String }

/// The tiny experiment trained once; tests use copies.
private let trainedRun: Result<URL, any Error> = Result {
    var spec = try ConfigLoader.load(path: tinyConfig)
    spec.output.dir = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-evaluation-\(UUID().uuidString)").path
    spec.training.threads = 1
    let outcome = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: tinyConfig), datasets: DatasetCache())
    guard outcome.status == .ok else { throw RunFailed(message: outcome.message) }
    return URL(fileURLWithPath: spec.output.dir)
}

private func copyOfTrainedRun() throws -> URL {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-evaluation-copy-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: trainedRun.get(), to: copy)
    return copy
}

/// Another model in the run's model.safetensors (what a rerun or a later epoch leaves there).
private func replaceModel(in directory: URL) throws {
    let url = directory.appendingPathComponent(RunFiles.model)
    var file = try SafeTensorsFile.read(contentsOf: url)
    var weights = try #require(file.tensors["output.bias"]).floats()
    weights[1] += 0.5
    file.tensors["output.bias"] = try SafeTensor(shape: [weights.count], floats: weights)
    file.metadata["epoch"] = "1"
    try file.serialized().write(to: url)
}

@Suite struct EvaluationFileTests {
    @Test func evaluateRefusesADirectoryARunHoldsAndRecordsTheModelItScored() throws {
        let directory = try copyOfTrainedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trained = try TrainedRun(directory: directory)
        let lock = try RunDirectoryLock.acquire(directory: directory.path)
        do {
            _ = try trained.evaluate(split: .test)
            Issue.record("evaluate scored the model of a directory a run holds")
        } catch {
            #expect("\(error)" == "another run (pid \(getpid())) holds '\(directory.path)/.lock': it is still training, and its "
                + "model.safetensors is not its final model; evaluate it when it has finished")
        }
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).contains { $0.hasPrefix("evaluation-") })
        lock.release()

        let (url, evaluation) = try trained.evaluate(split: .test)
        let model = directory.appendingPathComponent(RunFiles.model)
        #expect(evaluation.modelSHA256 == SHA256.hex(try Data(contentsOf: model)))
        #expect(evaluation.modelEpoch == (try SafeTensorsFile.readMetadata(contentsOf: model))["epoch"].flatMap(Int.init))
        #expect(try JSONSchemaValidator(contentsOf: schemaURL).validate(fileAt: url) == [])
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunDirectoryLock.fileName).path))
    }

    @Test func evaluateRefusesAModelReplacedSinceItWasLoaded() throws {
        let directory = try copyOfTrainedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trained = try TrainedRun(directory: directory)
        try replaceModel(in: directory)
        do {
            _ = try trained.evaluate(split: .test)
            Issue.record("evaluate scored a model file other than the one it loaded")
        } catch {
            #expect("\(error)" == "\(directory.path)/model.safetensors was replaced while it was being loaded (a run finished there?); evaluate again")
        }
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).contains { $0.hasPrefix("evaluation-") })
    }

    @Test func compareLeavesOutAnEvaluationOfAnotherModel() throws {
        let directory = try copyOfTrainedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sampled = try TrainedRun(directory: directory, overrides: ["evaluation.candidates={sampled: 20}"]).evaluate(split: .test)
        #expect(ComparisonBuilder.compare(try ComparisonBuilder.loadRuns(paths: [directory.path])).rows.count == 2)

        let scored = try #require(sampled.evaluation.modelSHA256)
        try replaceModel(in: directory)
        let now = SHA256.hex(try Data(contentsOf: directory.appendingPathComponent(RunFiles.model)))
        let comparison = ComparisonBuilder.compare(try ComparisonBuilder.loadRuns(paths: [directory.path]))
        #expect(comparison.rows.count == 1)
        #expect(comparison.excluded.map(\.reason) == [
            "stale evaluation: it scored another model (sha256 \(scored.prefix(12)), epoch \(sampled.evaluation.modelEpoch ?? 0)) "
                + "than the run's model.safetensors (sha256 \(now.prefix(12)), epoch 1); run runner evaluate again"])
    }

    @Test func compareLeavesOutAnEvaluationThatDoesNotNameItsModel() throws {
        let directory = try copyOfTrainedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sampled = try TrainedRun(directory: directory, overrides: ["evaluation.candidates={sampled: 20}"]).evaluate(split: .test)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sampled.url)) as? [String: Any])
        object["model_sha256"] = nil
        object["model_epoch"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: sampled.url)
        let comparison = ComparisonBuilder.compare(try ComparisonBuilder.loadRuns(paths: [directory.path]))
        #expect(comparison.rows.count == 1)
        #expect(comparison.excluded.map(\.reason) == [
            "stale evaluation: it does not record the SHA-256 of the model it scored, so it cannot be tied to the run's "
                + "model.safetensors; run runner evaluate again"])
    }

    @Test(.enabled(if: SweepFixtures.runnerIsBuilt)) func theCommandExitsOneWhileARunHoldsTheDirectory() throws {
        let directory = try copyOfTrainedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lock = try RunDirectoryLock.acquire(directory: directory.path)
        defer { lock.release() }
        let result = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, ["evaluate", directory.path],
                                              scratch: directory, in: directory).wait()
        #expect(result.status == 1)
        #expect(result.stderr == "error: another run (pid \(getpid())) holds '\(directory.path)/.lock': it is still training, "
            + "and its model.safetensors is not its final model; evaluate it when it has finished\n")
    }
}
