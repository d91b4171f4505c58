import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The tune section as the config layer reads it, and the config files a search writes.

@Test func aTuneFileLoadsItsExperimentAndItsSearch() throws {
    let file = try ConfigLoader.loadTune(path: ConfigFixtures.fixtures.appendingPathComponent("tune/tiny-tune.yaml").path)
    #expect(file.base.name == "tiny-tune" && file.base.training.epochs == 4)
    #expect(file.tune.objective.description == "ndcg@10" && file.tune.direction == .maximize)
    #expect(file.tune.space == [
        TuneParameter(key: "training.optimizer.learning_rate", domain: .logUniform(low: 0.001, high: 0.05)),
        TuneParameter(key: "model.hidden_size", domain: .integer(low: 4, high: 16, log: false)),
        TuneParameter(key: "model.cell", domain: .choice(["lstm", "gru"])),
    ])
    #expect(file.tune.trials == 6 && file.tune.totalEpochs == nil && file.tune.seed == 3)
    #expect(file.tune.sampler == .random && file.tune.pruner == .asha(minEpochs: 1, reductionFactor: 3))
}

@Test func aRatingObjectiveIsMinimizedUnlessTheFileSaysOtherwise() throws {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-tune-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let base = """
        name: rating
        task: rating
        training: {loss: mse}
        evaluation: {metrics: [rmse, mae]}
        tune:
          space: {model.dropout: {uniform: [0.0, 0.5]}}
          total_epochs: 20

        """
    let path = scratch.appendingPathComponent("rating.yaml").path
    try base.write(toFile: path, atomically: true, encoding: .utf8)
    let file = try ConfigLoader.loadTune(path: path)
    #expect(file.tune.objective.description == "rmse" && file.tune.direction == .minimize)
    #expect(file.tune.totalEpochs == 20 && file.tune.trials == nil)
    try (base.replacingOccurrences(of: "  total_epochs: 20", with: "  total_epochs: 20\n  objective: {metric: mae, direction: maximize}"))
        .write(toFile: path, atomically: true, encoding: .utf8)
    let flipped = try ConfigLoader.loadTune(path: path)
    #expect(flipped.tune.objective.description == "mae" && flipped.tune.direction == .maximize)
}

@Test func aTrialConfigNestsItsSettingsAndExtendsTheTuneFileRelatively() {
    let text = TrialConfigFile.text(
        tuneFile: "experiments/tune-lstm50.yaml", location: "results/tune-lstm50/trials/3/config.yaml", name: "tune-lstm50-trial-3",
        outputDirectory: "results/tune-lstm50/trials/3",
        settings: TrialConfigFile.settings(overrides: ["training.threads=1", "output.dir=elsewhere"], then: [
            TrialSetting(key: "training.optimizer.learning_rate", value: "0.00123"),
            TrialSetting(key: "model.cell", value: "gru"),
            TrialSetting(key: "training.batch_size", value: "64"),
        ]),
        comment: "Trial 3.")
    #expect(text == """
        # Trial 3.
        extends: "../../../../experiments/tune-lstm50.yaml"
        name: "tune-lstm50-trial-3"
        training:
          threads: 1
          optimizer:
            learning_rate: 0.00123
          batch_size: 64
        model:
          cell: gru
        output:
          dir: "results/tune-lstm50/trials/3"

        """)
}

@Test func aSearchValueIsWrittenAsTheTextThatReadsBackToIt() {
    let spec = TuneSpec(objective: MetricSpec(kind: .ndcg, k: 10), direction: .maximize, space: [
        TuneParameter(key: "a", domain: .logUniform(low: 1e-5, high: 1e-2)),
        TuneParameter(key: "b", domain: .integer(low: 1, high: 9, log: false)),
        TuneParameter(key: "c", domain: .choice(["lstm", "{sampled: 100}"])),
    ], trials: 1, totalEpochs: nil, sampler: .random, pruner: .none, seed: 1)
    let value = 0.000123456789012345
    let settings = TuneSettings(spec).settings([.real(value), .integer(4), .choice(1)])
    #expect(settings.map(\.value) == ["\(value)", "4", "{sampled: 100}"])
    #expect(Double(settings[0].value) == value)
}
