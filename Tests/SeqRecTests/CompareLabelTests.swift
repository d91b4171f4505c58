import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// runner compare, how rows are named and described: labels from the settings a row's model
// reads, the shared settings said once, a config's own `label:`, the seeds a row pools, the
// protocol warning naming what differs, charts of re-evaluated rows, one CSV column per setting.

/// `run` with extra settings merged into its config's sections (`["model": ["dropout": 0.2]]`).
private func with(_ run: LoadedRun, _ sections: [String: [String: JSONValue]], top: [String: JSONValue] = [:],
                  name: String? = nil) -> LoadedRun {
    var run = run
    guard case .object(var config) = run.report.config else { return run }
    for (section, values) in sections {
        guard case .object(var object) = config[section] ?? .object([:]) else { continue }
        for (key, value) in values { object[key] = value }
        config[section] = .object(object)
    }
    for (key, value) in top { config[key] = value }
    if let name {
        config["name"] = .string(name)
        run.report.name = name
    }
    run.report.config = .object(config)
    return run
}

/// Settings every model of the README tour records, whether it reads them or not.
private let recorded: [String: [String: JSONValue]] = [
    "model": ["dropout": .number(0.2), "embeddingSize": .integer(64), "layers": .integer(1), "forgetBias": .number(1)],
    "training": ["epochs": .integer(100), "learningRate": .number(0.001)],
]

@Test func cellsReadOnlyTheirOwnSettings() {
    #expect(CellKind.pop.reads(setting: "model.cell") && !CellKind.pop.reads(setting: "model.dropout"))
    #expect(!CellKind.markov.reads(setting: "training.epochs") && !CellKind.markov.reads(setting: "training.threads"))
    #expect(CellKind.markov.reads(setting: "split.max_length") && CellKind.pop.reads(setting: "evaluation.exclude_seen"))
    #expect(!CellKind.sasrec.reads(setting: "model.embedding_size") && !CellKind.sasrec.reads(setting: "model.layers"))
    #expect(!CellKind.sasrec.reads(setting: "model.forget_bias") && !CellKind.sasrec.reads(setting: "model.output_dropout"))
    #expect(CellKind.sasrec.reads(setting: "model.blocks") && CellKind.sasrec.reads(setting: "model.hidden_size"))
    for cell in [CellKind.lstm, .gru, .rnn] {
        #expect(!cell.reads(setting: "model.blocks") && !cell.reads(setting: "model.heads") && !cell.reads(setting: "model.norm"))
        #expect(cell.reads(setting: "model.layers") && cell.reads(setting: "training.epochs"))
    }
    #expect(CellKind.lstm.reads(setting: "model.forget_bias"))
    #expect(!CellKind.gru.reads(setting: "model.forget_bias") && !CellKind.rnn.reads(setting: "model.forget_bias"))
}

@Test func rowsAreLabelledOnlyBySettingsTheirModelReads() throws {
    let runs = [
        with(compareTestRun(cell: "lstm", hidden: 50, seed: 1), recorded),
        with(compareTestRun(cell: "gru", hidden: 100, seed: 1), recorded),
        with(compareTestRun(cell: "pop", hidden: 50, seed: 1), recorded),
        // Another dropout the popularity model ignores: the same configuration, a second seed.
        with(compareTestRun(cell: "pop", hidden: 50, seed: 2), ["model": ["dropout": .number(0.5)]]
            .merging(recorded.filter { $0.key != "model" }) { kept, _ in kept }),
    ]
    let comparison = ComparisonBuilder.compare(runs)
    #expect(comparison.rows.map(\.label) == ["cell=gru, hidden_size=100", "cell=lstm, hidden_size=50", "cell=pop"])
    #expect(comparison.rows.last?.seeds == [1, 2])
    let shared = try #require(comparison.sharedSettings.first)
    #expect(shared.contains("model.dropout=0.2") && shared.contains("training.epochs=100"))
    #expect(!shared.contains { $0.hasPrefix("model.hidden_size") })
    let markdown = comparison.markdown()
    #expect(markdown.contains("Shared by every row (where its model reads the setting): "))
    #expect(!markdown.contains("cell=pop, "))
}

@Test func sasrecAndRecurrentRowsIgnoreEachOthersKeys() {
    let sasrec = with(compareTestRun(cell: "sasrec", hidden: 64, seed: 1),
                      ["model": ["blocks": .integer(2), "heads": .integer(1), "embeddingSize": .integer(32)]])
    let lstm = with(compareTestRun(cell: "lstm", hidden: 64, seed: 1), ["model": ["embeddingSize": .integer(64)]])
    let comparison = ComparisonBuilder.compare([sasrec, lstm])
    // embedding_size differs in the records, but only the LSTM reads it; blocks only sasrec.
    #expect(comparison.rows.map(\.label) == ["cell=lstm", "cell=sasrec"])
}

@Test func aConfigsOwnLabelNamesItsRow() throws {
    let runs = [
        with(compareTestRun(cell: "lstm", seed: 1), [:], top: ["label": .string("LSTM (paper)")]),
        with(compareTestRun(cell: "lstm", seed: 2), [:], top: ["label": .string("LSTM (paper)")]),
        compareTestRun(cell: "gru", seed: 1),
    ]
    let comparison = ComparisonBuilder.compare(runs)
    #expect(comparison.rows.map(\.label) == ["LSTM (paper)", "cell=gru"])
    #expect(comparison.rows.first?.seeds == [1, 2])
    // Two configurations that give the same label still get rows of their own names.
    let same = ComparisonBuilder.compare([
        with(compareTestRun(cell: "lstm", seed: 1), [:], top: ["label": .string("mine")]),
        with(compareTestRun(cell: "gru", seed: 1), [:], top: ["label": .string("mine")]),
    ])
    #expect(Set(same.rows.map(\.label)).count == 2)
}

@Test func labelIsRecordedButLeftOutOfTheConfigHash() throws {
    let plain = try ConfigLoader.load(bytes: Array("model:\n  cell: lstm\n".utf8), displayName: "plain.yaml")
    let labelled = try ConfigLoader.load(bytes: Array("label: my LSTM\nmodel:\n  cell: lstm\n".utf8),
                                         displayName: "plain.yaml")
    #expect(labelled.label == "my LSTM" && plain.label == nil)
    #expect(labelled.configHash == plain.configHash)
    #expect(labelled.resolvedJSON().contains("\"label\" : \"my LSTM\"") || labelled.resolvedJSON().contains("\"label\": \"my LSTM\""))
    #expect(!plain.resolvedJSON().contains("\"label\""))
    // The resolved record loads back to the same spec, label included.
    let again = try ConfigLoader.load(bytes: Array(labelled.resolvedYAML().utf8), displayName: "resolved.yaml")
    #expect(again == labelled)
}

@Test func rowsSayWhichSeedsTheyPoolAndFromWhere() throws {
    let runs = [
        compareTestRun(cell: "lstm", seed: 1, name: "cells/cell=lstm,seed=1"),
        compareTestRun(cell: "lstm", seed: 2, name: "cells/cell=lstm,seed=2"),
        compareTestRun(cell: "lstm", seed: 42, name: "lstm50"),
        compareTestRun(cell: "gru", seed: 1, name: "cells/cell=gru,seed=1"),
    ]
    let comparison = ComparisonBuilder.compare(runs)
    let lstm = try #require(comparison.rows.first { $0.label == "cell=lstm" })
    #expect(lstm.seeds == [1, 2, 42])
    let markdown = comparison.markdown()
    #expect(markdown.contains("| 1, 2, 42 |"))
    #expect(markdown.contains("cell=lstm: cells (seeds 1, 2), lstm50 (seed 42)"))
    #expect(!markdown.contains("cell=gru: "))
    let csv = csvRecords(comparison.csv())
    let header = try #require(csv.first)
    let seedList = try #require(header.firstIndex(of: "seed_list"))
    #expect(csv.contains { $0[seedList] == "1 2 42" })
}

@Test func protocolWarningNamesWhatDiffers() {
    let dataOnly = ComparisonBuilder.compare([
        with(compareTestRun(cell: "lstm", seed: 1), ["dataset": ["name": .null, "path": .string("a.csv")]]),
        with(compareTestRun(cell: "lstm", seed: 1), ["dataset": ["name": .null, "path": .string("b.csv")]]),
    ])
    #expect(dataOnly.mixesProtocols)
    #expect(dataOnly.protocolWarning.contains("dataset.path: a.csv vs b.csv"))
    #expect(!dataOnly.protocolWarning.contains("sampled") && !dataOnly.protocolWarning.contains("candidates"))
    let sampled = ComparisonBuilder.compare([compareTestRun(cell: "lstm", seed: 1),
                                             compareTestRun(cell: "lstm", seed: 1, candidates: "sampled-100-uniform")])
    #expect(sampled.protocolWarning.contains("candidates: all vs sampled-100-uniform"))
    #expect(!sampled.protocolWarning.contains("dataset"))
    #expect(sampled.markdown().contains("WARNING: \(sampled.protocolWarning)"))
}

@Test func reEvaluatedRowsChartOnlyTheirTestMetrics() {
    let history = [EpochRecord(epoch: 1, trainLoss: 5, validation: ["ndcg@10": 0.1], seconds: 1, targetsPerSecond: 1,
                               learningRate: 0.1)]
    let trained = compareTestRun(cell: "lstm", seed: 1, history: history)
    var evaluated = compareTestRun(cell: "gru", seed: 1, history: history)
    evaluated.evaluationFile = "evaluation-abc.json"
    let html = ComparisonBuilder.compare([trained, evaluated]).html(title: "t")
    let figures = html.components(separatedBy: "<figure>").dropFirst().map { $0.components(separatedBy: "</figure>")[0] }
    let curves = figures.filter { $0.contains("Learning curves") || $0.contains("Training loss") }
    #expect(curves.count == 2)
    for figure in curves {
        #expect(figure.contains("cell=lstm") && !figure.contains("cell=gru"))
    }
    let bars = figures.first { $0.contains("Test metrics") } ?? ""
    #expect(bars.contains("cell=lstm") && bars.contains("cell=gru"))
    #expect(html.contains("appear in the test metrics only"))
}

@Test func csvHasOneColumnPerSetting() throws {
    let comparison = ComparisonBuilder.compare([
        with(compareTestRun(cell: "lstm", hidden: 50, seed: 1), recorded),
        with(compareTestRun(cell: "pop", hidden: 50, seed: 1), recorded),
    ])
    let lines = csvRecords(comparison.csv())
    let header = try #require(lines.first)
    for column in ["model.cell", "model.hidden_size", "model.dropout", "training.epochs", "training.learning_rate",
                   "training.threads", "split.max_length"] {
        #expect(header.contains(column), "\(column)")
    }
    let hidden = try #require(header.firstIndex(of: "model.hidden_size"))
    let cell = try #require(header.firstIndex(of: "model.cell"))
    let values = Dictionary(lines.dropFirst().map { ($0[cell], $0[hidden]) }, uniquingKeysWith: { kept, _ in kept })
    #expect(values == ["lstm": "50", "pop": ""])
    #expect(lines.dropFirst().allSatisfy { $0.count == header.count })
}

/// RFC 4180 records (quoted fields may hold commas and doubled quotes; no line breaks here).
private func csvRecords(_ text: String) -> [[String]] {
    text.split(separator: "\n").map { line in
        var fields: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { field.append("\""); characters = characters.dropFirst() } else { quoted = false }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field)
        return fields
    }
}
