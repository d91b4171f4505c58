import Foundation

// Loading a tune file: the experiment (the file without `tune:`) and its `tune:` section,
// checked with positions like every key. Every searched key is checked against the
// experiment the way a grid's values are: the experiment is decoded with the domain's ends
// (each listed value of a choice) in place, so an unknown key, a value of the wrong type or a
// range outside the key's valid values is an error pointing into `tune.space`.

extension ConfigLoader {
    /// Keys a search may not vary: they name the trial (each trial has its own name and
    /// output directory) or belong to the file's structure.
    static let unsearchableKeys: Set<String> = ["extends", "grid", "tune", "name", "output"]

    /// Whether the file itself has a top-level `tune:` (a `tune:` is not inherited through
    /// `extends:`). False for an unreadable file, which the normal loaders then report.
    public static func isTuneFile(path: String) -> Bool {
        guard let root = try? documentRoot(bytes: (try? RegularFile.open(path).readToEnd(limit: maxFileBytes + 1)).map { [UInt8]($0) } ?? [],
                                           displayName: path) else { return false }
        return root.value(forKey: "tune") != nil
    }

    /// Loads a tune file. Throws `ConfigError` listing every problem found.
    public static func loadTune(path: String, overrides: [String] = []) throws(ConfigError) -> TuneFile {
        try loadTune(path: path, displayName: path, overrides: overrides)
    }

    static func loadTune(path: String, displayName: String, overrides: [String]) throws(ConfigError) -> TuneFile {
        let tree = try resolvedTree(path: path, displayName: displayName, chain: [])
        guard let tuneEntry = tree.mappingEntries?.first(where: { $0.key.scalarText == "tune" }) else {
            throw ConfigError(ConfigDiagnostic(origin: displayName, keyPath: "tune",
                "expected a tune file (an experiment with a 'tune:' section), found none; run an experiment with 'runner run'"))
        }
        if let gridKey = tree.mappingEntries?.first(where: { $0.key.scalarText == "grid" })?.key {
            throw ConfigError(ConfigDiagnostic(at: gridKey.location, keyPath: "grid",
                "expected either 'grid:' or 'tune:' in one file, found both (a search varies keys itself; put the grid's keys in tune.space as choices)"))
        }
        let settings = try settingOverrides(overrides, displayName: displayName)
        let baseTree = ConfigTree.removing(["tune"], from: tree)
        try checkDatasetPath(applying(settings, to: baseTree), configPath: path)
        let base = try decode(baseTree, overrides: settings, defaultName: stem(of: path))
        let tune = try TuneDecoder(base: base, baseTree: baseTree, overrides: settings, defaultName: stem(of: path))
            .decode(tuneEntry.value)
        return TuneFile(path: path, base: base, tune: tune, overrides: overrides)
    }

    /// The error `run`, `sweep` and `plan` give for a tune file (`runner tune` runs it).
    static func tuneFileError(_ tree: YAMLNode) -> ConfigError? {
        guard let key = tree.mappingEntries?.first(where: { $0.key.scalarText == "tune" })?.key else { return nil }
        return ConfigError(ConfigDiagnostic(at: key.location, keyPath: "tune",
            "expected an experiment or a grid, found a hyperparameter search (run it with 'runner tune FILE'; 'runner validate' checks it)"))
    }
}

/// Decodes and checks one `tune:` section against its experiment.
struct TuneDecoder {
    let base: ExperimentSpec
    let baseTree: YAMLNode
    let overrides: [YAMLNode]
    let defaultName: String

    func decode(_ node: YAMLNode) throws(ConfigError) -> TuneSpec {
        let decoder = SpecDecoder()
        guard let fields = decoder.section(node, path: "tune") else { throw decoder.diagnostics.error() }
        var spec = TuneSpec(objective: base.primaryMetric ?? MetricSpec(kind: .ndcg, k: 10), direction: .maximize, space: [],
                            trials: nil, totalEpochs: nil, sampler: .tpe(startupTrials: TuneSpec.defaultStartupTrials,
                                                                        candidates: TuneSpec.defaultCandidates),
                            pruner: .none, seed: base.seed)
        var directionGiven = false
        var metricOK = true
        if let objective = fields.take("objective") {
            let problemsBefore = decoder.diagnostics.diagnostics.count
            if let entries = objective.mappingEntries {
                let objectiveFields = Section(decoder: decoder, node: objective, path: "tune.objective", entries: entries)
                if objectiveFields.peek("metric") == nil {
                    decoder.diagnostics.add(objective, "tune.objective.metric", "expected a validation metric such as 'ndcg@10', found none")
                }
                objectiveFields.read("metric", into: &spec.objective) { decoder.metric($0, $1) }
                metricOK = decoder.diagnostics.diagnostics.count == problemsBefore
                if objectiveFields.peek("direction") != nil { directionGiven = true }
                objectiveFields.read("direction", into: &spec.direction) { decoder.choice($0, $1, noun: "direction") }
                objectiveFields.reportUnknownKeys()
            } else if let metric = decoder.metric(objective, "tune.objective") {
                spec.objective = metric
            } else {
                metricOK = false
            }
            if metricOK, !base.evaluation.metrics.contains(spec.objective) {
                let listed = base.evaluation.metrics.map(\.description).joined(separator: ", ")
                decoder.diagnostics.add(objective, "tune.objective",
                    "expected one of the experiment's validation metrics (evaluation.metrics: \(listed)), found '\(spec.objective)'")
            }
        } else if base.primaryMetric == nil {
            decoder.diagnostics.add(node, "tune.objective", "expected an objective (a validation metric such as 'ndcg@10'), found none")
        }
        // Ranking metrics grow with quality; rating errors (rmse, mae) shrink.
        if !directionGiven { spec.direction = spec.objective.kind.isRanking ? .maximize : .minimize }
        if let space = fields.take("space") {
            spec.space = parameters(space, decoder: decoder)
        } else {
            decoder.diagnostics.add(node, "tune.space", "expected a mapping of key paths to ranges (e.g. {model.dropout: {uniform: [0.0, 0.5]}}), found none")
        }
        fields.readOptional("trials", into: &spec.trials) { decoder.integer($0, $1, atLeast: 1, atMost: TuneSpec.maxTrials) }
        fields.readOptional("total_epochs", into: &spec.totalEpochs) { decoder.integer($0, $1, atLeast: 1) }
        if spec.trials == nil, spec.totalEpochs == nil, decoder.diagnostics.isEmpty {
            decoder.diagnostics.add(node, "tune.trials", "expected a budget: 'trials' (a number of trials), 'total_epochs' (training epochs over all trials) or both, found neither")
        }
        if let sampler = fields.take("sampler") { spec.sampler = self.sampler(sampler, decoder: decoder) ?? spec.sampler }
        if let pruner = fields.take("pruner") { spec.pruner = self.pruner(pruner, decoder: decoder) ?? spec.pruner }
        fields.read("seed", into: &spec.seed) { decoder.seed($0, $1) }
        fields.reportUnknownKeys()
        if !decoder.diagnostics.isEmpty { throw decoder.diagnostics.error() }
        return spec
    }

    private func sampler(_ node: YAMLNode, decoder: SpecDecoder) -> TuneSampler? {
        let names = ["random", "tpe"]
        if let text = node.scalarText, !node.isNull {
            switch text {
            case "random": return .random
            case "tpe": return .tpe(startupTrials: TuneSpec.defaultStartupTrials, candidates: TuneSpec.defaultCandidates)
            default:
                decoder.diagnostics.add(node, "tune.sampler", "unknown sampler '\(text)', expected one of \(names.joined(separator: ", "))\(Suggestion.hint(for: text, among: names))")
                return nil
            }
        }
        guard let entries = node.mappingEntries, entries.count == 1, let name = entries.first?.key.scalarText,
              let settings = entries.first?.value else {
            decoder.diagnostics.add(node, "tune.sampler", "expected 'random', 'tpe' or {tpe: {startup_trials: N, candidates: N}}, found \(node.foundDescription)")
            return nil
        }
        guard name == "tpe" || name == "random" else {
            decoder.diagnostics.add(entries[0].key, "tune.sampler", "unknown sampler '\(name)', expected one of \(names.joined(separator: ", "))\(Suggestion.hint(for: name, among: names))")
            return nil
        }
        if name == "random" {
            guard settings.isNull || settings.mappingEntries?.isEmpty == true else {
                decoder.diagnostics.add(settings, "tune.sampler.random", "expected no settings (random search has none), found \(settings.foundDescription)")
                return nil
            }
            return .random
        }
        var startup = TuneSpec.defaultStartupTrials, candidates = TuneSpec.defaultCandidates
        if !settings.isNull, let fields = decoder.section(settings, path: "tune.sampler.tpe") {
            fields.read("startup_trials", into: &startup) { decoder.integer($0, $1, atLeast: 1) }
            fields.read("candidates", into: &candidates) { decoder.integer($0, $1, atLeast: 1) }
            fields.reportUnknownKeys()
        }
        return .tpe(startupTrials: startup, candidates: candidates)
    }

    private func pruner(_ node: YAMLNode, decoder: SpecDecoder) -> TunePruner? {
        let names = ["none", "asha"]
        if let text = node.scalarText, !node.isNull {
            switch text {
            case "none": return TunePruner.none
            case "asha": return .asha(minEpochs: 1, reductionFactor: TuneSpec.defaultReductionFactor)
            default:
                decoder.diagnostics.add(node, "tune.pruner", "unknown pruner '\(text)', expected one of \(names.joined(separator: ", "))\(Suggestion.hint(for: text, among: names))")
                return nil
            }
        }
        if node.isNull { return TunePruner.none }
        guard let entries = node.mappingEntries, entries.count == 1, entries[0].key.scalarText == "asha" else {
            decoder.diagnostics.add(node, "tune.pruner", "expected 'none', 'asha' or {asha: {min_epochs: N, reduction_factor: N}}, found \(node.foundDescription)")
            return nil
        }
        var minEpochs = 1, factor = TuneSpec.defaultReductionFactor
        let settings = entries[0].value
        if !settings.isNull, let fields = decoder.section(settings, path: "tune.pruner.asha") {
            fields.read("min_epochs", into: &minEpochs) { decoder.integer($0, $1, atLeast: 1) }
            fields.read("reduction_factor", into: &factor) { decoder.integer($0, $1, atLeast: 2) }
            fields.reportUnknownKeys()
            if let node = fields.peek("min_epochs"), minEpochs > base.training.epochs {
                decoder.diagnostics.add(node, "tune.pruner.asha.min_epochs",
                    "expected at most training.epochs (\(base.training.epochs)), found \(minEpochs): no trial would reach a decision")
            }
        }
        return .asha(minEpochs: minEpochs, reductionFactor: factor)
    }

    private func parameters(_ space: YAMLNode, decoder: SpecDecoder) -> [TuneParameter] {
        guard let entries = space.mappingEntries, !entries.isEmpty else {
            decoder.diagnostics.add(space, "tune.space", "expected a mapping of key paths to ranges (e.g. {model.dropout: {uniform: [0.0, 0.5]}}), found \(space.foundDescription)")
            return []
        }
        var parameters: [TuneParameter] = []
        for entry in entries {
            let keyText = entry.key.scalarText ?? ""
            let keyPath = "tune.space.\(keyText)"
            guard let parts = ConfigTree.segments(ofDottedPath: keyText), parts.allSatisfy(ConfigOverride.isKeySegment),
                  parts.count <= YAMLDocumentLoader.maxDepth else {
                decoder.diagnostics.add(entry.key, keyPath, "expected a dotted key path such as 'model.dropout', found '\(keyText)'")
                continue
            }
            if let first = parts.first, ConfigLoader.unsearchableKeys.contains(first) {
                decoder.diagnostics.add(entry.key, keyPath, "'\(first)' cannot be searched (each trial has its own name and output directory)")
                continue
            }
            let key = parts.joined(separator: ".")
            if parameters.contains(where: { $0.key == key }) {
                decoder.diagnostics.add(entry.key, keyPath, "duplicate key path '\(key)'")
                continue
            }
            guard let (domain, samples) = self.domain(entry.value, keyPath: keyPath, decoder: decoder) else { continue }
            // The key's own checks, at the domain's ends: positions point into the space.
            let segments = ConfigTree.locatedSegments(parts, of: entry.key)
            var valid = true
            for sample in samples {
                let tree = ConfigTree.merge(baseTree, ConfigTree.nested(path: segments, value: sample))
                do {
                    _ = try ConfigLoader.decode(tree, overrides: overrides, defaultName: defaultName)
                } catch {
                    error.diagnostics.forEach { decoder.diagnostics.add($0) }
                    valid = false
                }
            }
            // A real range is also tried inside, where its values are not whole numbers.
            if valid, let middle = Self.middle(of: domain), let rangeNode = entry.value.mappingEntries?.first {
                let sample = YAMLNode(.scalar(middle, .plain), at: rangeNode.value.location)
                let tree = ConfigTree.merge(baseTree, ConfigTree.nested(path: segments, value: sample))
                if (try? ConfigLoader.decode(tree, overrides: overrides, defaultName: defaultName)) == nil {
                    decoder.diagnostics.add(rangeNode.key, keyPath,
                        "expected a range of values '\(key)' takes, found a real range, whose values such as \(middle) it does not take (an integer key takes {integer: [low, high]})")
                    valid = false
                }
            }
            if valid { parameters.append(TuneParameter(key: key, domain: domain)) }
        }
        return parameters
    }

    /// A value strictly inside a real range, as YAML text (never a whole number's text).
    static func middle(of domain: TuneDomain) -> String? {
        switch domain {
        case .uniform(let low, let high): return "\(low + (high - low) * 0.4321)"
        case .logUniform(let low, let high): return "\(exp(log(low) + (log(high) - log(low)) * 0.4321))"
        case .choice, .integer: return nil
        }
    }

    /// The domain and the value nodes to check it with (its ends, or every choice).
    private func domain(_ node: YAMLNode, keyPath: String, decoder: SpecDecoder) -> (TuneDomain, [YAMLNode])? {
        let kinds = ["choice", "uniform", "log_uniform", "integer"]
        let example = "{choice: [a, b]}, {uniform: [low, high]}, {log_uniform: [low, high]} or {integer: [low, high], log: false}"
        guard let entries = node.mappingEntries, let first = entries.first, let kind = first.key.scalarText,
              kinds.contains(kind) else {
            if let name = node.mappingEntries?.first?.key.scalarText {
                decoder.diagnostics.add(node.mappingEntries?.first?.key ?? node, keyPath,
                    "unknown range '\(name)', expected one of \(kinds.joined(separator: ", "))\(Suggestion.hint(for: name, among: kinds))")
            } else {
                decoder.diagnostics.add(node, keyPath, "expected a range: \(example), found \(node.foundDescription)")
            }
            return nil
        }
        for extra in entries.dropFirst() {
            let name = extra.key.scalarText ?? ""
            if kind == "integer", name == "log" { continue }
            decoder.diagnostics.add(extra.key, "\(keyPath).\(name)",
                kinds.contains(name) ? "expected one range per key, found '\(kind)' and '\(name)'"
                    : "unexpected key '\(name)': a range is one of \(kinds.joined(separator: ", "))\(kind == "integer" ? " (integer may add log: true)" : "")")
        }
        let rangePath = "\(keyPath).\(kind)"
        let value = first.value
        if kind == "choice" {
            guard case .sequence(let items) = value.kind, !items.isEmpty else {
                decoder.diagnostics.add(value, rangePath, "expected a non-empty list of values, found \(value.foundDescription)")
                return nil
            }
            var seen: Set<String> = []
            for (index, item) in items.enumerated() where !seen.insert(item.flowText).inserted {
                decoder.diagnostics.add(item, "\(rangePath)[\(index)]", "duplicate value '\(item.flowText)'")
            }
            return (.choice(items.map(\.flowText)), items)
        }
        guard case .sequence(let ends) = value.kind, ends.count == 2 else {
            decoder.diagnostics.add(value, rangePath, "expected a list of two numbers [low, high], found \(value.foundDescription)")
            return nil
        }
        if kind == "integer" {
            var isLog = false
            if let logNode = entries.first(where: { $0.key.scalarText == "log" })?.value {
                guard let flag = decoder.boolean(logNode, "\(keyPath).log") else { return nil }
                isLog = flag
            }
            func whole(_ end: YAMLNode, _ path: String, atLeast minimum: Int?) -> Int? {
                guard end.isPlain, let text = end.scalarText, let value = Int(text), value >= minimum ?? .min else {
                    let expected = minimum.map { SpecDecoder.integerExpectation(atLeast: $0) } ?? "an integer"
                    decoder.diagnostics.add(end, path, "expected \(expected)\(isLog ? " (log: true needs a low end >= 1)" : ""), found \(end.foundDescription)")
                    return nil
                }
                return value
            }
            guard let low = whole(ends[0], "\(rangePath)[0]", atLeast: isLog ? 1 : nil),
                  let high = whole(ends[1], "\(rangePath)[1]", atLeast: low) else { return nil }
            return (.integer(low: low, high: high, log: isLog), ends)
        }
        let isLog = kind == "log_uniform"
        guard let low = decoder.number(ends[0], "\(rangePath)[0]", isLog ? .positive : .any),
              let high = decoder.number(ends[1], "\(rangePath)[1]", .any) else { return nil }
        guard high > low else {
            decoder.diagnostics.add(ends[1], "\(rangePath)[1]", "expected a number > \(SpecDecoder.format(low)) (the low end), found \(ends[1].foundDescription)")
            return nil
        }
        return (isLog ? .logUniform(low: low, high: high) : .uniform(low: low, high: high), ends)
    }
}
