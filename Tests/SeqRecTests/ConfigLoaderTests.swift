import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Loading good configurations: the committed experiments, defaults, `extends:` and
// `--set` precedence, anchors, the alias bomb, and the resolved round trip.

private func config(_ name: String) -> String {
    ConfigFixtures.goodConfigs.appendingPathComponent(name).path
}

private func experiment(_ name: String) -> String {
    ConfigFixtures.experiments.appendingPathComponent(name).path
}

@Test func everyExperimentFileValidates() throws {
    let files = ConfigFixtures.yamlFiles(in: ConfigFixtures.experiments)
    #expect(files.count >= 8)
    for file in files {
        // A search (tune-*.yaml) validates as its experiment and its section.
        let points = ConfigLoader.isTuneFile(path: file.path)
            ? [try ConfigLoader.loadTune(path: file.path).base] : try ConfigLoader.loadGrid(path: file.path).map(\.spec)
        #expect(!points.isEmpty, "\(file.lastPathComponent)")
    }
}

@Test func mainExperimentHasTheDocumentedSettings() throws {
    let spec = try ConfigLoader.load(path: experiment("lstm50.yaml"))
    #expect(spec.name == "lstm50")
    #expect(spec.output.dir == "results/lstm50")
    #expect(spec.task == .nextItem)
    #expect(spec.dataset.name == "movielens-100k")
    #expect(spec.split.method == .leaveOneOut && spec.split.maxLength == 50)
    #expect(spec.model.cell == .lstm && spec.model.hiddenSize == 50 && spec.model.embeddingSize == 64)
    #expect(spec.model.dropout == 0.4 && spec.model.layers == 1)
    #expect(spec.training.optimizer.name == .adam && spec.training.optimizer.learningRate == 0.002)
    #expect(spec.training.batchSize == 256 && spec.training.epochs == 100)
    #expect(spec.training.earlyStopping == EarlyStoppingSpec())
    #expect(spec.evaluation.candidates == .all && spec.evaluation.excludeSeen)
    #expect(spec.evaluation.metrics.map(\.description) == ["hr@10", "ndcg@10", "mrr@10", "hr@20", "ndcg@20"])
}

@Test(arguments: [("gru50.yaml", CellKind.gru), ("rnn50.yaml", CellKind.rnn)])
func cellVariantsDifferFromTheMainJobOnlyInCellAndName(file: String, cell: CellKind) throws {
    var expected = try ConfigLoader.load(path: experiment("lstm50.yaml"))
    let name = String(file.dropLast(".yaml".count))
    expected.name = name
    expected.output.dir = "results/\(name)"
    expected.model.cell = cell
    #expect(try ConfigLoader.load(path: experiment(file)) == expected)
}

@Test func otherExperimentsResolveAsDescribed() throws {
    let rating = try ConfigLoader.load(path: experiment("rating-lstm50.yaml"))
    #expect(rating.task == .rating && rating.training.loss == .mse)
    #expect(rating.evaluation.metrics.map(\.description) == ["rmse", "mae"])
    #expect(rating.training.earlyStopping?.metric.description == "rmse")
    let synthetic = try ConfigLoader.load(path: experiment("synthetic-longrange.yaml"))
    #expect(synthetic.dataset.name == nil && synthetic.dataset.synthetic?.lag == 20)
    #expect(try ConfigLoader.load(path: experiment("pop.yaml")).model.cell == .pop)
    #expect(try ConfigLoader.load(path: experiment("markov.yaml")).model.cell == .markov)
}

@Test func setBeatsChildAndChildBeatsParent() throws {
    let spec = try ConfigLoader.load(path: config("child.yaml"), overrides: ["model.hidden_size=30"])
    #expect(spec.model.hiddenSize == 30)  // --set over child (20) over parent (10)
    #expect(spec.model.dropout == 0.3)  // child over parent
    #expect(spec.model.layers == 2 && spec.seed == 7)  // parent only
    #expect(spec.evaluation.metrics.map(\.description) == ["ndcg@5"])  // lists are replaced
    #expect(spec.training.earlyStopping?.metric.description == "ndcg@5")
    #expect(spec.name == "child" && spec.output.dir == "results/child")  // name from the loaded file
    let later = try ConfigLoader.load(path: config("child.yaml"),
                                      overrides: ["model.hidden_size=30", "model.hidden_size=40"])
    #expect(later.model.hiddenSize == 40)  // the last --set wins
}

@Test func extendsChainsAcrossDirectories() throws {
    let spec = try ConfigLoader.load(path: config("nested/grandchild.yaml"))
    #expect(spec.model.cell == .gru && spec.model.hiddenSize == 20 && spec.model.layers == 2)
    #expect(spec.name == "grandchild")
}

@Test func fileExtendingItselfIsACycle() throws {
    let path = ConfigFixtures.temporaryFile("extends: self.yaml\n", name: "self.yaml")
    #expect {
        try ConfigLoader.load(path: path)
    } throws: { error in
        (error as? ConfigError)?.description.contains("found the cycle \(path) -> \((path as NSString).deletingLastPathComponent)/self.yaml") ?? false
    }
}

@Test func childPickingADataSourceReplacesTheInheritedOne() throws {
    let spec = try ConfigLoader.load(path: config("switch-source.yaml"))
    #expect(spec.dataset.name == nil)
    #expect(spec.dataset.synthetic?.users == 50)
    let overridden = try ConfigLoader.load(path: experiment("lstm50.yaml"), overrides: ["dataset.path=my.csv"])
    #expect(overridden.dataset.name == nil && overridden.dataset.path == "my.csv" && overridden.dataset.format == .csv)
}

@Test func defaultsDependOnTaskAndPath() throws {
    let rating = try ConfigLoader.load(path: config("rating-defaults.yaml"))
    #expect(rating.training.loss == .mse)
    #expect(rating.evaluation.metrics.map(\.description) == ["rmse", "mae"])
    #expect(rating.training.earlyStopping?.metric.description == "rmse")
    #expect(rating.name == "rating-defaults" && rating.dataset.name == "movielens-100k")
    let ownData = try ConfigLoader.load(path: config("own-data.yaml"))
    #expect(ownData.dataset.format == .tsv && ownData.dataset.name == nil)
    #expect(ownData.dataset.columns?.user == "uid" && ownData.dataset.columns?.rating == nil)
    #expect(ownData.dataset.columns?.timestamp == "ts")
}

@Test func shorthandsAndNullsDecode() throws {
    let spec = try ConfigLoader.load(path: config("shorthand.yaml"))
    #expect(spec.training.optimizer.name == .sgd && spec.training.optimizer.learningRate == 0.001)
    #expect(spec.training.schedule.name == .cosine)
    #expect(spec.training.earlyStopping == nil && spec.training.clipNorm == nil)
}

@Test func setValuesAreTypedAsYAML() throws {
    let spec = try ConfigLoader.load(path: experiment("lstm50.yaml"), overrides: [
        "evaluation.metrics=[hr@5, ndcg@5]", "training.early_stopping.metric=ndcg@5",
        "training.clip_norm=null", "evaluation.candidates={sampled: 100}", "seed=9",
    ])
    #expect(spec.evaluation.metrics.map(\.description) == ["hr@5", "ndcg@5"])
    #expect(spec.training.clipNorm == nil && spec.seed == 9)
    #expect(spec.evaluation.candidates == .sampled(count: 100, strategy: .uniform))
}

@Test func setInsideTheSameDataSourceMergesIntoIt() throws {
    // One synthetic key changes; the file's other synthetic keys stay (same source merges).
    let spec = try ConfigLoader.load(path: experiment("synthetic-longrange.yaml"),
                                     overrides: ["dataset.synthetic.lag=10"])
    let synthetic = try #require(spec.dataset.synthetic)
    #expect(synthetic.lag == 10 && synthetic.length == 100 && synthetic.users == 2000)
    // Switching source still replaces the parent's source.
    let switched = try ConfigLoader.load(path: experiment("synthetic-longrange.yaml"),
                                         overrides: ["dataset.name=movielens-100k"])
    #expect(switched.dataset.synthetic == nil && switched.dataset.name == "movielens-100k")
}

@Test func anchorsAndAliasesAreAllowed() throws {
    let spec = try ConfigLoader.load(path: config("anchors.yaml"))
    #expect(spec.model.embeddingSize == 48 && spec.model.hiddenSize == 48)
}

@Test func aliasBombIsRejectedQuickly() throws {
    let path = ConfigFixtures.badConfigs.appendingPathComponent("alias-bomb.yaml").path
    let clock = ContinuousClock()
    var message = ""
    let elapsed = clock.measure {
        do {
            _ = try ConfigLoader.load(path: path)
        } catch {
            message = String(describing: error)
        }
    }
    print("alias bomb rejected in \(elapsed)")
    #expect(message.contains("aliases expand to more than 100000 nodes"))
}

@Test func fullConfigDecodesEveryKey() throws {
    let spec = try ConfigLoader.load(path: config("full.yaml"))
    #expect(spec.name == "everything" && spec.seed == 123_456_789_012)
    #expect(spec.dataset.path == "data/my ratings.csv" && spec.dataset.ratingThreshold == 3.5)
    #expect(spec.dataset.duplicates == .last && spec.dataset.cacheDir == "/tmp/seqrec-cache")
    #expect(spec.split.ratios == [0.7, 0.15, 0.15] && spec.split.temporalCuts == [0.6, 0.75])
    #expect(spec.training.optimizer.nesterov && spec.training.optimizer.eps == 1e-6)
    #expect(spec.training.schedule == {
        var schedule = ScheduleSpec()
        schedule.name = .step
        schedule.stepSize = 3
        schedule.gamma = 0.5
        schedule.minLearningRate = 0.00001
        return schedule
    }())
    #expect(spec.training.threads == 2 && spec.training.evalEvery == 2 && spec.training.negatives == 50)
    #expect(spec.evaluation.candidates == .sampled(count: 99, strategy: .popularity))
    #expect(spec.output.dir == "out/everything")
}

private func roundTripSpecs() throws -> [ExperimentSpec] {
    var specs = try ConfigFixtures.yamlFiles(in: ConfigFixtures.experiments).flatMap {
        ConfigLoader.isTuneFile(path: $0.path) ? [try ConfigLoader.loadTune(path: $0.path).base]
            : try ConfigLoader.loadGrid(path: $0.path).map(\.spec)
    }
    for name in ["full.yaml", "shorthand.yaml", "own-data.yaml", "switch-source.yaml", "rating-defaults.yaml"] {
        specs.append(try ConfigLoader.load(path: config(name)))
    }
    return specs
}

@Test func resolvedYAMLLoadsBackToTheSameSpec() throws {
    for spec in try roundTripSpecs() {
        let path = ConfigFixtures.temporaryFile(spec.resolvedYAML(), name: "resolved.yaml")
        let reloaded = try ConfigLoader.load(path: path)
        #expect(reloaded == spec, "\(spec.name)")
    }
}

@Test func codableUsesTheYAMLSpellingAndRoundTrips() throws {
    for spec in try roundTripSpecs() {
        let data = try JSONEncoder().encode(spec)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"hidden_size\"") && !text.contains("hiddenSize"))
        #expect(try JSONDecoder().decode(ExperimentSpec.self, from: data) == spec, "\(spec.name)")
    }
    let json = try ConfigLoader.load(path: experiment("lstm50.yaml")).resolvedJSON()
    #expect(json.contains("\"metrics\": [\n      \"hr@10\""))
    #expect(json.contains("\"candidates\": \"all\""))
    #expect(json.contains("\"clip_norm\": 5.0,") && json.contains("\"eps\": 1e-08,"))
}

@Test func resolvedJSONDecodesBackToTheSameSpec() throws {
    var specs = try roundTripSpecs()
    // Names and paths may not hold control characters or backslashes; a column name may.
    var odd = ExperimentSpec(name: "quote\" colon: é")
    odd.dataset.name = nil
    odd.dataset.path = "odd \"quoted\" é.csv"
    odd.dataset.format = .csv
    var columns = ColumnMapping()
    columns.user = "\u{1}control back\\slash\nnew line\ttab"
    odd.dataset.columns = columns
    specs.append(odd)
    for spec in specs {
        let decoded = try JSONDecoder().decode(ExperimentSpec.self, from: Data(spec.resolvedJSON().utf8))
        #expect(decoded == spec, "\(spec.name)")
        let path = ConfigFixtures.temporaryFile(spec.resolvedYAML(), name: "resolved.yaml")
        #expect(try ConfigLoader.load(path: path) == spec, "\(spec.name)")
    }
}

@Test func resolvedJSONHasSortedKeysAndHashIdentifiesTheConfig() throws {
    let spec = try ConfigLoader.load(path: experiment("lstm50.yaml"))
    let json = spec.resolvedJSON()
    let topLevel = json.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map {
        String($0.dropFirst(3).prefix { $0 != "\"" })
    }
    #expect(topLevel == topLevel.sorted() && topLevel.count == 9)
    #expect(spec.configHash.count == 64 && spec.configHash.allSatisfy(\.isHexDigit))
    #expect(try ConfigLoader.load(path: experiment("lstm50.yaml")).configHash == spec.configHash)
    let changed = try ConfigLoader.load(path: experiment("lstm50.yaml"), overrides: ["model.dropout=0.3"])
    #expect(changed.configHash != spec.configHash)
}

@Test func gridExpandsInFileOrderWithTheLastKeyFastest() throws {
    let points = try ConfigLoader.loadGrid(path: experiment("cells.yaml"))
    #expect(points.map(\.runName) == [
        "cell=lstm,seed=1", "cell=lstm,seed=2", "cell=lstm,seed=3",
        "cell=gru,seed=1", "cell=gru,seed=2", "cell=gru,seed=3",
        "cell=rnn,seed=1", "cell=rnn,seed=2", "cell=rnn,seed=3",
    ])
    let point = points[4]
    #expect(point.varied.map(\.key) == ["model.cell", "seed"] && point.varied.map(\.value) == ["gru", "2"])
    #expect(point.spec.model.cell == .gru && point.spec.seed == 2)
    #expect(point.spec.name == "cells/cell=gru,seed=2")
    #expect(point.spec.output.dir == "results/cells/cell=gru,seed=2")
    #expect(point.spec.model.hiddenSize == 50)  // from lstm50.yaml
}

@Test func gridLabelsUseFullPathsWhenLastSegmentsClash() throws {
    let points = try ConfigLoader.loadGrid(path: config("grid.yaml"), overrides: ["training.epochs=2"])
    #expect(points.count == 8)
    #expect(points[1].runName == "training.optimizer.name=adam,training.schedule.name=constant,candidates={sampled: 10}")
    #expect(points[1].spec.evaluation.candidates == .sampled(count: 10, strategy: .uniform))
    #expect(points.allSatisfy { $0.spec.training.epochs == 2 })
}

@Test func fileWithoutGridIsASinglePoint() throws {
    let points = try ConfigLoader.loadGrid(path: experiment("lstm50.yaml"))
    #expect(points.count == 1 && points[0].runName == "lstm50" && points[0].varied.isEmpty)
    #expect(points[0].spec == (try ConfigLoader.load(path: experiment("lstm50.yaml"))))
}

@Test func suggestionsUseEditDistance() {
    #expect(Suggestion.editDistance("hiden_size", "hidden_size") == 1)
    #expect(Suggestion.editDistance("ndgc", "ndcg") == 1)  // a transposition
    #expect(Suggestion.editDistance("", "abc") == 3)
    #expect(Suggestion.closest(to: "LSTM", among: ["lstm", "gru"]) == "lstm")
    #expect(Suggestion.closest(to: "transformer", among: ["lstm", "gru", "rnn"]) == nil)
    #expect(Suggestion.closest(to: "adm", among: ["sgd", "adam"]) == "adam")
}

@Test func formatIsDetectedFromKnownExtensions() {
    #expect(DataFormat.detected(fromPath: "a/b.CSV") == .csv)
    #expect(DataFormat.detected(fromPath: "ml-100k/u.data") == .movielens)
    #expect(DataFormat.detected(fromPath: "ml-1m/ratings.dat") == .movielensDat)
    #expect(DataFormat.detected(fromPath: "x.inter") == .recbole)
    #expect(DataFormat.detected(fromPath: "x.txt") == nil)
    #expect(DataFormat.detected(fromPath: "noextension") == nil)
}

@Test func optimizerShorthandMergesLikeTheLongForm() throws {
    let renamed = try ConfigLoader.load(path: experiment("lstm50.yaml"), overrides: ["training.optimizer=sgd"])
    #expect(renamed.training.optimizer.name == .sgd && renamed.training.optimizer.learningRate == 0.002)  // rate kept from lstm50.yaml
    let tuned = try ConfigLoader.load(path: config("shorthand.yaml"), overrides: ["training.optimizer.learning_rate=0.1"])
    #expect(tuned.training.optimizer.name == .sgd && tuned.training.optimizer.learningRate == 0.1)
    #expect(tuned.training.schedule.name == .cosine)
}

@Test func emptySectionsTakeTheirDefaults() throws {
    let path = ConfigFixtures.temporaryFile("model:\ntraining:\n  epochs: 3\n", name: "empty-sections.yaml")
    let spec = try ConfigLoader.load(path: path)
    #expect(spec.model == ModelSpec() && spec.training.epochs == 3)
}

@Test func inheritedDatasetPathIsRebasedOntoTheExtendingFile() throws {
    let spec = try ConfigLoader.load(path: config("nested/data-child.yaml"))
    #expect(spec.dataset.path == "../data/interactions.tsv")
    #expect(spec.dataset.format == .tsv && spec.dataset.columns?.user == "uid")  // the rest is untouched
    #expect(try ConfigLoader.load(path: config("own-data.yaml")).dataset.path == "data/interactions.tsv")
}

/// A child naming a file of another format drops the parent's `format` and `columns` (a CSV
/// header's names mean nothing to a RecBole file); a file of the same format keeps them.
@Test func aChildFileOfAnotherFormatDropsTheParentsColumns() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-columns-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let files = [
        "parent.yaml": "dataset:\n  path: clicks.csv\n  columns: {user: customer, item: product}\n",
        "recbole.yaml": "extends: parent.yaml\ndataset:\n  path: clicks.inter\n",
        "csv.yaml": "extends: parent.yaml\ndataset:\n  path: other.csv\n",
        "tsv-format.yaml": "extends: parent.yaml\ndataset:\n  path: other.txt\n  format: tsv\n",
    ]
    for (name, text) in files { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    let load = { (name: String) in try ConfigLoader.load(path: directory.appendingPathComponent(name).path).dataset }
    let recbole = try load("recbole.yaml")
    #expect(recbole.format == .recbole && recbole.columns == nil)
    let csv = try load("csv.yaml")
    #expect(csv.format == .csv && csv.columns?.user == "customer" && csv.columns?.item == "product")
    let tsv = try load("tsv-format.yaml")
    #expect(tsv.format == .tsv && tsv.columns == nil)
}

@Test func gbceReadsItsNegativesAndCalibrationAndRecordsTheCalibrationOnlyForItself() throws {
    let path = ConfigFixtures.temporaryFile("name: g\ntraining:\n  loss: gbce\n  negatives: 64\n  gbce_t: 0.5\n")
    let spec = try ConfigLoader.load(path: path)
    #expect(spec.training.loss == .generalizedBinaryCrossEntropy && spec.training.negatives == 64 && spec.training.gbceT == 0.5)
    #expect(spec.resolvedYAML().contains("gbce_t: 0.5"))
    let again = try ConfigLoader.load(path: ConfigFixtures.temporaryFile(spec.resolvedYAML()))
    #expect(again.configHash == spec.configHash)
    let defaulted = try ConfigLoader.load(path: ConfigFixtures.temporaryFile("name: g\ntraining: {loss: gbce}\n"))
    #expect(defaulted.training.gbceT == 0.75)
    // Another loss keeps the record (and the hash) it had before gbce existed: no gbce_t.
    let bce = try ConfigLoader.load(path: ConfigFixtures.temporaryFile("name: g\ntraining: {loss: bce}\n"))
    #expect(!bce.resolvedYAML().contains("gbce_t"))
}

/// The (task, loss, family) table of ExperimentSpec+Rules.swift, spelled out: every next-item
/// loss with every trainable family, mse (rating) with the recurrent cells only.
@Test func lossFamilyRuleTableIsStatedOnceAndTheModelAgrees() {
    let nextItemLosses: [LossKind] = [.crossEntropy, .sampledSoftmax, .binaryCrossEntropy, .generalizedBinaryCrossEntropy]
    #expect(LossKind.training(.nextItem) == nextItemLosses && LossKind.training(.rating) == [.mse])
    for task in TaskKind.allCases {
        for loss in LossKind.allCases {
            for cell in CellKind.allCases where cell.isTrainable {
                let expected = task == .nextItem ? nextItemLosses.contains(loss) : (loss == .mse && [.lstm, .gru, .rnn].contains(cell))
                #expect(loss.canTrain(task, cell: cell) == expected, "\(task) \(loss) \(cell)")
                let accepted = (try? SequenceRecommender.checkCompatible(cell: cell, task: task, loss: loss)) != nil
                #expect(accepted == expected, "\(task) \(loss) \(cell)")
            }
        }
    }
    #expect(LossKind.allCases.filter(\.drawsNegatives) == [.sampledSoftmax, .binaryCrossEntropy, .generalizedBinaryCrossEntropy])
    #expect(LossKind.allCases.filter(\.isCalibrated) == [.generalizedBinaryCrossEntropy])
}

@Test func lossGridResolvesEachFamilyWithItsShippedSettings() throws {
    let points = try ConfigLoader.loadGrid(path: experiment("losses.yaml"))
    #expect(points.count == 18)
    let sasrec = try ConfigLoader.load(path: experiment("sasrec.yaml"))
    let lstm = try ConfigLoader.load(path: experiment("lstm50.yaml"))
    for point in points {
        let spec = point.spec
        #expect(spec.training.negatives == 256 && spec.training.gbceT == 0.75)
        #expect(spec.training.optimizer == lstm.training.optimizer && spec.training.optimizer == sasrec.training.optimizer)
        if spec.model.cell == .sasrec {
            for key in [\ModelSpec.hiddenSize, \.blocks, \.heads] { #expect(spec.model[keyPath: key] == sasrec.model[keyPath: key]) }
            #expect(spec.model.dropout == sasrec.model.dropout && spec.model.norm == sasrec.model.norm)
        } else {
            #expect(spec.model == lstm.model)
        }
    }
}
