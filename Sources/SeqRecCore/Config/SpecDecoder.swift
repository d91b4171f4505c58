// The hand-written decoder from a resolved node tree to `ExperimentSpec`: types, ranges,
// enum names and unknown keys are checked field by field, defaults fill what is absent,
// and every problem is collected so that a file reports all of its errors at once.
// Rules that relate several fields live in SpecDecoder+CrossField.swift.

final class SpecDecoder {
    var diagnostics = DiagnosticCollector()
    /// Value nodes by key path, for cross-field errors that point at a field.
    var nodes: [String: YAMLNode] = [:]
    /// The document root, where errors about absent keys point.
    var rootNode: YAMLNode?

    /// Decodes a whole experiment; nil if anything was wrong (see `diagnostics`).
    func decode(_ root: YAMLNode, defaultName: String) -> ExperimentSpec? {
        rootNode = root
        guard let top = section(root, path: "") else { return nil }
        var spec = ExperimentSpec(name: defaultName)
        if top.peek("name") == nil, let problem = Self.nameProblem(defaultName) {
            diagnostics.add(root, "name",
                "expected a name \(problem) (a name is not a path), found the default name '\(defaultName)' (the file's stem); set name:")
        }
        top.read("name", into: &spec.name) { self.experimentName($0, $1) }
        top.readOptional("label", into: &spec.label) { self.labelText($0, $1) }
        top.read("seed", into: &spec.seed) { self.seed($0, $1) }
        top.read("task", into: &spec.task) { self.choice($0, $1, noun: "task") }
        _ = top.take("extends")  // consumed by ConfigLoader
        _ = top.take("grid")  // consumed by ConfigLoader.loadGrid
        if let node = top.take("dataset"), !node.isNull, let fields = section(node, path: "dataset") {
            decodeDataset(fields, into: &spec.dataset)
        }
        if let node = top.take("split"), !node.isNull, let fields = section(node, path: "split") {
            decodeSplit(fields, into: &spec.split)
        }
        if let node = top.take("model"), !node.isNull, let fields = section(node, path: "model") {
            decodeModel(fields, into: &spec.model)
        }
        if let node = top.take("training"), !node.isNull, let fields = section(node, path: "training") {
            decodeTraining(fields, into: &spec.training)
        }
        if let node = top.take("evaluation"), !node.isNull, let fields = section(node, path: "evaluation") {
            decodeEvaluation(fields, into: &spec.evaluation)
        }
        spec.output = OutputSpec(dir: "results/\(spec.name)")
        if let node = top.take("output"), !node.isNull, let fields = section(node, path: "output") {
            fields.read("dir", into: &spec.output.dir) { self.pathText($0, $1) }
            fields.read("checkpoint", into: &spec.output.checkpoint) { self.boolean($0, $1) }
            fields.read("tensorboard", into: &spec.output.tensorboard) { self.boolean($0, $1) }
            fields.reportUnknownKeys()
        }
        top.reportUnknownKeys()
        applyDependentDefaults(&spec)
        checkCrossFieldRules(spec)
        return diagnostics.isEmpty ? spec : nil
    }

    // MARK: - Sections

    private func decodeDataset(_ fields: Section, into dataset: inout DatasetSpec) {
        let chosenSources = ConfigTree.datasetSourceKeys.filter { key in
            fields.peek(key).map { !$0.isNull } ?? false
        }
        if !chosenSources.isEmpty { dataset.name = nil }
        fields.readOptional("name", into: &dataset.name) { self.datasetName($0, $1) }
        fields.readOptional("path", into: &dataset.path) { self.pathText($0, $1) }
        fields.readOptional("format", into: &dataset.format) { self.choice($0, $1, noun: "format") }
        if let node = fields.take("columns"), !node.isNull, let columnFields = section(node, path: fields.path("columns")) {
            var columns = ColumnMapping()
            columnFields.read("user", into: &columns.user) { self.nonEmptyText($0, $1) }
            columnFields.read("item", into: &columns.item) { self.nonEmptyText($0, $1) }
            columnFields.readOptional("rating", into: &columns.rating) { self.nonEmptyText($0, $1) }
            columnFields.readOptional("timestamp", into: &columns.timestamp) { self.nonEmptyText($0, $1) }
            columnFields.reportUnknownKeys()
            dataset.columns = columns
        }
        if let node = fields.take("synthetic"), !node.isNull, let syntheticFields = section(node, path: fields.path("synthetic")) {
            var synthetic = SyntheticSpec()
            syntheticFields.read("users", into: &synthetic.users) { self.integer($0, $1, atLeast: 1, atMost: SyntheticSpec.maxUsers) }
            syntheticFields.read("items", into: &synthetic.items) { self.integer($0, $1, atLeast: 2, atMost: SyntheticSpec.maxItems) }
            syntheticFields.read("length", into: &synthetic.length) { self.integer($0, $1, atLeast: 2, atMost: SyntheticSpec.maxLength) }
            syntheticFields.read("lag", into: &synthetic.lag) { self.integer($0, $1, atLeast: SyntheticSpec.minLag) }
            syntheticFields.read("noise", into: &synthetic.noise) { self.number($0, $1, .unitClosed) }
            syntheticFields.read("keys", into: &synthetic.keys) { self.integer($0, $1, atLeast: 1) }
            syntheticFields.reportUnknownKeys()
            dataset.synthetic = synthetic
        }
        fields.read("min_user_interactions", into: &dataset.minUserInteractions) { self.integer($0, $1, atLeast: 1) }
        fields.read("min_item_interactions", into: &dataset.minItemInteractions) { self.integer($0, $1, atLeast: 1) }
        fields.readOptional("rating_threshold", into: &dataset.ratingThreshold) { self.number($0, $1, .any) }
        fields.read("duplicates", into: &dataset.duplicates) { self.choice($0, $1, noun: "duplicates policy") }
        fields.readOptional("cache_dir", into: &dataset.cacheDir) { self.pathText($0, $1) }
        fields.reportUnknownKeys()
    }

    private func decodeSplit(_ fields: Section, into split: inout SplitSpec) {
        fields.read("method", into: &split.method) { self.choice($0, $1, noun: "split method") }
        fields.read("max_length", into: &split.maxLength) { self.integer($0, $1, atLeast: 2) }
        fields.read("ratios", into: &split.ratios) { self.fractions($0, $1, count: 3, noun: "train/validation/test fractions") }
        fields.read("temporal_cuts", into: &split.temporalCuts) { self.fractions($0, $1, count: 2, noun: "validation and test start quantiles") }
        fields.reportUnknownKeys()
    }

    private func decodeModel(_ fields: Section, into model: inout ModelSpec) {
        fields.read("cell", into: &model.cell) { self.choice($0, $1, noun: "cell") }
        fields.read("embedding_size", into: &model.embeddingSize) { self.integer($0, $1, atLeast: 1) }
        fields.read("hidden_size", into: &model.hiddenSize) { self.integer($0, $1, atLeast: 1) }
        fields.read("layers", into: &model.layers) { self.integer($0, $1, atLeast: 1) }
        fields.read("dropout", into: &model.dropout) { self.number($0, $1, .unitHalfOpen) }
        fields.read("output_dropout", into: &model.outputDropout) { self.number($0, $1, .unitHalfOpen) }
        fields.read("forget_bias", into: &model.forgetBias) { self.number($0, $1, .any) }
        fields.read("blocks", into: &model.blocks) { self.integer($0, $1, atLeast: 1) }
        fields.read("heads", into: &model.heads) { self.integer($0, $1, atLeast: 1) }
        fields.read("norm", into: &model.norm) { self.choice($0, $1, noun: "norm placement") }
        fields.read("mask_probability", into: &model.maskProbability) { self.number($0, $1, .unitHalfOpen) }
        fields.reportUnknownKeys()
    }

    private func decodeTraining(_ fields: Section, into training: inout TrainingSpec) {
        fields.read("epochs", into: &training.epochs) { self.integer($0, $1, atLeast: 1) }
        fields.read("batch_size", into: &training.batchSize) { self.integer($0, $1, atLeast: 1) }
        if let node = fields.take("optimizer") {
            decodeOptimizer(node, path: fields.path("optimizer"), into: &training.optimizer)
        }
        fields.read("loss", into: &training.loss) { self.choice($0, $1, noun: "loss") }
        fields.read("negatives", into: &training.negatives) { self.integer($0, $1, atLeast: 1) }
        fields.read("negative_sampling", into: &training.negativeSampling) { self.choice($0, $1, noun: "sampling strategy") }
        fields.read("gbce_t", into: &training.gbceT) { self.number($0, $1, .unitClosed) }
        fields.readOptional("clip_norm", into: &training.clipNorm) { self.number($0, $1, .positive) }
        fields.read("sparse_gradients", into: &training.sparseGradients) { self.boolean($0, $1) }
        if let node = fields.take("early_stopping") {
            let path = fields.path("early_stopping")
            if node.isNull || node.scalarText == "false" && node.isPlain {
                training.earlyStopping = nil
            } else if let stoppingFields = section(node, path: path, expected: "a mapping {metric, patience}, null or false") {
                var stopping = EarlyStoppingSpec()
                stoppingFields.read("metric", into: &stopping.metric) { self.metric($0, $1) }
                stoppingFields.read("patience", into: &stopping.patience) { self.integer($0, $1, atLeast: 1) }
                stoppingFields.reportUnknownKeys()
                training.earlyStopping = stopping
            }
        }
        fields.read("eval_every", into: &training.evalEvery) { self.integer($0, $1, atLeast: 1) }
        if let node = fields.take("schedule") {
            decodeSchedule(node, path: fields.path("schedule"), into: &training.schedule)
        }
        fields.readOptional("threads", into: &training.threads) {
            self.integer($0, $1, atLeast: 1, atMost: TrainingSpec.maxThreads)
        }
        fields.reportUnknownKeys()
    }

    private func decodeOptimizer(_ node: YAMLNode, path: String, into optimizer: inout OptimizerSpec) {
        if node.scalarText != nil, !node.isNull {
            // Shorthand: `optimizer: sgd`.
            nodes[path + ".name"] = node
            if let name: OptimizerKind = choice(node, path + ".name", noun: "optimizer") { optimizer.name = name }
            return
        }
        guard let fields = section(node, path: path, expected: "an optimizer name or a mapping {name, learning_rate, ...}") else { return }
        fields.read("name", into: &optimizer.name) { self.choice($0, $1, noun: "optimizer") }
        fields.read("learning_rate", into: &optimizer.learningRate) { self.number($0, $1, .positive) }
        fields.read("weight_decay", into: &optimizer.weightDecay) { self.number($0, $1, .nonNegative) }
        fields.read("momentum", into: &optimizer.momentum) { self.number($0, $1, .unitHalfOpen) }
        fields.read("nesterov", into: &optimizer.nesterov) { self.boolean($0, $1) }
        fields.read("beta1", into: &optimizer.beta1) { self.number($0, $1, .unitHalfOpen) }
        fields.read("beta2", into: &optimizer.beta2) { self.number($0, $1, .unitHalfOpen) }
        fields.read("eps", into: &optimizer.eps) { self.number($0, $1, .positive) }
        fields.read("alpha", into: &optimizer.alpha) { self.number($0, $1, .unitHalfOpen) }
        fields.reportUnknownKeys()
    }

    private func decodeSchedule(_ node: YAMLNode, path: String, into schedule: inout ScheduleSpec) {
        if node.scalarText != nil, !node.isNull {
            nodes[path + ".name"] = node
            if let name: ScheduleKind = choice(node, path + ".name", noun: "schedule") { schedule.name = name }
            return
        }
        guard let fields = section(node, path: path, expected: "a schedule name or a mapping {name, step_size, gamma, min_learning_rate}") else { return }
        fields.read("name", into: &schedule.name) { self.choice($0, $1, noun: "schedule") }
        fields.read("step_size", into: &schedule.stepSize) { self.integer($0, $1, atLeast: 1) }
        fields.read("gamma", into: &schedule.gamma) { self.number($0, $1, .positive) }
        fields.read("min_learning_rate", into: &schedule.minLearningRate) { self.number($0, $1, .nonNegative) }
        fields.reportUnknownKeys()
    }

    private func decodeEvaluation(_ fields: Section, into evaluation: inout EvaluationSpec) {
        fields.read("candidates", into: &evaluation.candidates) { self.candidates($0, $1) }
        fields.read("exclude_seen", into: &evaluation.excludeSeen) { self.boolean($0, $1) }
        fields.read("metrics", into: &evaluation.metrics) { self.metricList($0, $1) }
        fields.reportUnknownKeys()
    }

    // MARK: - Mappings

    /// The fields of a mapping node; reports a type error and returns nil for anything else.
    func section(_ node: YAMLNode, path: String, expected: String = "a mapping") -> Section? {
        guard let entries = node.mappingEntries else {
            let what = path.isEmpty ? "a mapping of experiment settings at the top level" : expected
            diagnostics.add(node, path, "expected \(what), found \(node.foundDescription)")
            return nil
        }
        return Section(decoder: self, node: node, path: path, entries: entries)
    }
}
