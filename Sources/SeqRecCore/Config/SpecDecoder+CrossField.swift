// Defaults that depend on other fields, and rules that relate several fields.

extension DataFormat {
    /// The format implied by a file's extension, or nil when the extension is ambiguous.
    package static func detected(fromPath path: String) -> DataFormat? {
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = fileName.lastIndex(of: ".") else { return nil }
        switch fileName[fileName.index(after: dot)...].lowercased() {
        case "csv": return .csv
        case "tsv": return .tsv
        case "data": return .movielens
        case "dat": return .movielensDat
        case "inter": return .recbole
        default: return nil
        }
    }
}

extension SpecDecoder {
    /// Fills defaults that depend on other settings (task, metrics, path).
    func applyDependentDefaults(_ spec: inout ExperimentSpec) {
        if spec.task == .rating {
            if nodes["training.loss"] == nil { spec.training.loss = .mse }
            if nodes["evaluation.metrics"] == nil {
                spec.evaluation.metrics = [MetricSpec(kind: .rmse, k: nil), MetricSpec(kind: .mae, k: nil)]
            }
        }
        if var stopping = spec.training.earlyStopping, nodes["training.early_stopping.metric"] == nil,
           !spec.evaluation.metrics.contains(stopping.metric), let first = spec.evaluation.metrics.first {
            stopping.metric = first
            spec.training.earlyStopping = stopping
        }
        if let path = spec.dataset.path, spec.dataset.format == nil {
            spec.dataset.format = DataFormat.detected(fromPath: path)
        }
    }

    /// Cross-field rules skip fields that already have errors, to avoid cascades.
    private func hasErrors(under prefixes: String...) -> Bool {
        diagnostics.diagnostics.contains { diagnostic in
            prefixes.contains { diagnostic.keyPath == $0 || diagnostic.keyPath.hasPrefix($0 + ".") || diagnostic.keyPath.hasPrefix($0 + "[") }
        }
    }

    func checkCrossFieldRules(_ spec: ExperimentSpec) {
        if !hasErrors(under: "dataset") { checkDataset(spec) }
        if !hasErrors(under: "task", "training.loss", "evaluation.metrics", "dataset") { checkTask(spec) }
        if !hasErrors(under: "training.early_stopping", "evaluation.metrics"),
           let stopping = spec.training.earlyStopping, !spec.evaluation.metrics.contains(stopping.metric) {
            let listed = spec.evaluation.metrics.map(\.description).joined(separator: ", ")
            report(at: "training.early_stopping.metric",
                   "expected one of evaluation.metrics (\(listed)), found '\(stopping.metric)'")
        }
        if !hasErrors(under: "training.optimizer"), spec.training.optimizer.nesterov, spec.training.optimizer.momentum == 0 {
            report(at: "training.optimizer.nesterov", "expected training.optimizer.momentum > 0 for Nesterov momentum, found momentum 0")
        }
        if nodes["training.gbce_t"] != nil, !spec.training.loss.isCalibrated, !hasErrors(under: "training.loss", "training.gbce_t") {
            report(at: "training.gbce_t",
                   "expected training.gbce_t only with training.loss: gbce (the calibration of gSASRec's loss), found loss '\(spec.training.loss.rawValue)'")
        }
        if spec.training.sparseGradients, !hasErrors(under: "training.optimizer", "training.sparse_gradients") {
            checkSparseGradients(spec.training.optimizer)
        }
        if !hasErrors(under: "model", "task", "training.loss", "training.sparse_gradients") {
            checkModelFamily(spec)
        }
    }

    /// The cell's family: the tasks it trains, whether it has row-sparse updates, and its own
    /// rules across keys (ModelFamilyDescriptor).
    private func checkModelFamily(_ spec: ExperimentSpec) {
        let cell = spec.model.cell, family = cell.family
        for violation in family.rules(spec.model) {
            report(at: violation.keyPath, violation.message)
        }
        if !family.tasks.contains(spec.task) {
            let tasks = family.tasks.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            report(at: "task", "expected task \(tasks) for cell '\(cell.rawValue)', found '\(spec.task.rawValue)'")
        }
        if spec.training.sparseGradients, !family.allowsSparseGradients {
            let sparse = ModelFamilyDescriptor.all.filter { $0.trainsByGradient && $0.allowsSparseGradients }
                .flatMap(\.cells).map(\.rawValue).joined(separator: ", ")
            report(at: "training.sparse_gradients",
                   "expected training.sparse_gradients: false for cell '\(cell.rawValue)' (row-sparse updates exist for the item tables of \(sparse) only), found true")
        }
    }

    /// Row-sparse updates exist only where an unused row can be left alone exactly (SGD,
    /// Adagrad) or by a documented lazy rule (Adam = SparseAdam); momentum and weight decay
    /// would move every row at every step.
    private func checkSparseGradients(_ optimizer: OptimizerSpec) {
        let name = optimizer.name
        guard name == .sgd || name == .adam || name == .adagrad else {
            report(at: "training.optimizer.name",
                   "expected sgd, adam or adagrad with training.sparse_gradients: true (\(name.rawValue) has no row-sparse update), found '\(name.rawValue)'")
            return
        }
        if optimizer.weightDecay != 0 {
            report(at: "training.optimizer.weight_decay",
                   "expected weight_decay 0 with training.sparse_gradients: true (decay moves every row at every step), found \(optimizer.weightDecay)")
        }
        if name == .sgd, optimizer.momentum != 0 {
            report(at: "training.optimizer.momentum",
                   "expected momentum 0 for sgd with training.sparse_gradients: true (momentum moves every row at every step), found \(optimizer.momentum)")
        }
    }

    private func checkDataset(_ spec: ExperimentSpec) {
        let sources = ConfigTree.datasetSourceKeys.filter { key in nodes["dataset.\(key)"].map { !$0.isNull } ?? false }
        if sources.count > 1 {
            let listed = sources.map { "dataset.\($0)" }.joined(separator: " and ")
            report(at: "dataset.\(sources[1])",
                   "expected only one of dataset.name, dataset.path, dataset.synthetic, found \(listed)")
        }
        if spec.dataset.path == nil {
            for key in ConfigTree.datasetSourceDependentKeys where nodes["dataset.\(key)"].map({ !$0.isNull }) ?? false {
                report(at: "dataset.\(key)", "expected dataset.\(key) only together with dataset.path, found no dataset.path")
            }
        } else if let path = spec.dataset.path, spec.dataset.format == nil, nodes["dataset.format"] == nil {
            let formats = DataFormat.allCases.map(\.rawValue).joined(separator: ", ")
            report(at: "dataset.path", keyPath: "dataset.format",
                   "missing required key 'format': the extension of '\(path)' does not tell the format (expected one of \(formats))")
        }
        if let synthetic = spec.dataset.synthetic {
            // The generator tiles episodes of lag + 2 events: two keys, fillers, a query, two answers.
            if synthetic.lag + 2 > synthetic.length {
                report(at: "dataset.synthetic.lag",
                       "expected a lag of at most dataset.synthetic.length - 2 (\(synthetic.length - 2)): an episode is lag + 2 events, found \(synthetic.lag)")
            }
            if synthetic.keys * 2 + 3 > synthetic.items {
                report(at: "dataset.synthetic.keys",
                       "expected at most \(max((synthetic.items - 3) / 2, 0)) keys (each key needs an answer item, plus a query item and at least 2 fillers in dataset.synthetic.items), found \(synthetic.keys)")
            }
            if synthetic.users * synthetic.length > SyntheticSpec.maxEvents {
                // Two keys make the product: the section is named.
                report(at: "dataset.synthetic",
                       "expected at most \(SyntheticSpec.maxEvents) events (users x length), found \(synthetic.users) x \(synthetic.length) = \(synthetic.users * synthetic.length)")
            }
        }
    }

    private func checkTask(_ spec: ExperimentSpec) {
        let rating = spec.task == .rating
        if !spec.training.loss.canTrain(spec.task) {
            report(at: "training.loss", rating
                   ? "expected loss 'mse' for task 'rating', found '\(spec.training.loss.rawValue)'"
                   : "expected task 'rating' for loss 'mse', found task '\(spec.task.rawValue)'")
        }
        for (index, metric) in spec.evaluation.metrics.enumerated() where metric.kind.isRanking == rating {
            let path = nodes["evaluation.metrics[\(index)]"] != nil ? "evaluation.metrics[\(index)]" : "evaluation.metrics"
            if rating {
                report(at: path, "expected a rating metric (rmse, mae) for task 'rating', found '\(metric)'")
            } else {
                report(at: path, "expected a ranking metric such as 'ndcg@10' for task 'next-item', found '\(metric)'")
            }
        }
        if rating, spec.dataset.synthetic != nil {
            report(at: "task", "expected a dataset with ratings for task 'rating', found dataset.synthetic (which has none)")
        }
    }

    /// Reports at the node of `path`, or the nearest enclosing node that exists.
    private func report(at path: String, keyPath: String? = nil, _ message: String) {
        var probe = path
        while nodes[probe] == nil, let cut = probe.lastIndex(where: { $0 == "." || $0 == "[" }) {
            probe = String(probe[..<cut])
        }
        guard let node = nodes[probe] ?? rootNode else { return }
        diagnostics.add(node, keyPath ?? path, message)
    }
}
