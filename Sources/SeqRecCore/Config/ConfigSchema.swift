// The documented key reference: every key a configuration file may hold, its type and
// its meaning. Defaults come from `ExperimentSpec`'s own defaults, so the docs cannot
// drift from the code. `schema/experiment.schema.json` and the configuration reference in
// docs/configuration.md are generated from this table (ConfigSchemaRendering.swift) and checked by tests.

indirect enum SchemaType: Sendable {
    case integer(minimum: Int, maximum: Int? = nil)
    case unsignedInteger
    case number(NumberRange)
    case boolean
    case string
    case choice([String])
    case metric
    case metricList
    case candidates
    case fractions(count: Int, summingToOne: Bool)
    case object([SchemaKey])
    /// A name, or a mapping whose `name` key is one of the names (optimizer, schedule).
    case nameOrObject([String], [SchemaKey])
    /// null (or false, for early stopping) disables.
    case nullable(SchemaType, falseAllowed: Bool)
    case filePath
    case grid
    /// A hyperparameter search (TuneSpec, docs/tuning.md).
    case tune
}

struct SchemaKey: Sendable {
    var name: String
    var type: SchemaType
    var summary: String
    /// Shown instead of the default spec's value when the default depends on other keys.
    var defaultText: String?

    init(_ name: String, _ type: SchemaType, _ summary: String, default defaultText: String? = nil) {
        self.name = name
        self.type = type
        self.summary = summary
        self.defaultText = defaultText
    }
}

enum ConfigSchema {
    static func names<Choice: RawRepresentable & CaseIterable>(_: Choice.Type) -> [String] where Choice.RawValue == String {
        Choice.allCases.map(\.rawValue)
    }

    static let keys: [SchemaKey] = [
        SchemaKey("name", .string, "Experiment name; used in the default output directory. A name, not a path: at most \(SpecDecoder.maxNameBytes) bytes, no `/`, `\\`, `..`, leading `.` or control characters (the resolved name of a grid point, `<name>/<run name>`, is the one with a `/`).", default: "the file's stem"),
        SchemaKey("label", .string, "How `runner compare` names this configuration's row, instead of the settings that set it apart (at most \(SpecDecoder.maxLabelBytes) bytes, no control characters). It names results and does not change them, so reports record it but the config hash leaves it out: a run is the same configuration (for `runner sweep`, `runner evaluate` and `runner compare`) with or without it.", default: "none"),
        SchemaKey("seed", .unsignedInteger, "Seed of the only random generator: data synthesis, initialization, shuffling, dropout, sampling."),
        SchemaKey("extends", .filePath, "A YAML file whose settings this one starts from, relative to this file. Mappings merge key by key (this file wins, lists are replaced); chains of up to \(ConfigLoader.maxExtendsChain) files are allowed, cycles are errors.", default: "none"),
        SchemaKey("task", .choice(names(TaskKind.self)), "`next-item`: rank the next item of each sequence. `rating`: predict the rating of the next item (needs `training.loss: mse` and rating metrics)."),
        SchemaKey("dataset", .object(datasetKeys), "Where the interactions come from and how they are filtered. Exactly one of `name`, `path`, `synthetic`; with none, `name: movielens-100k`. A file that sets one of them replaces the source it inherits."),
        SchemaKey("split", .object(splitKeys), "How each user's sequence is split into training, validation and test."),
        SchemaKey("model", .object(modelKeys), "The recommender."),
        SchemaKey("training", .object(trainingKeys), "Optimization (ignored by `pop` and `markov`)."),
        SchemaKey("evaluation", .object(evaluationKeys), "How validation and test rankings are scored."),
        SchemaKey("output", .object([
            SchemaKey("dir", .string, "Directory of `report.json`, relative to the working directory (no control characters).", default: "`results/<name>`"),
            SchemaKey("checkpoint", .boolean, "Keep the trained model and the training state beside the report: `model.safetensors` (the weights the test metrics come from, PyTorch names), `ids.json` (dense to raw ids) and, until the run ends with status ok, `state.safetensors` (what a rerun of the same config continues from). `false` writes none of them, and an interrupted run then starts again from epoch 1.", default: "`true`"),
            SchemaKey("tensorboard", .boolean, "Write TensorBoard event files beside the report (`events.out.tfevents.*`): per epoch the training loss, learning rate, seconds and every validation metric, then the test metrics and the resolved settings for the HParams dashboard, so that `tensorboard --logdir results` shows every run. Where results go and whether event files are written do not change the results: `tensorboard` is recorded only when `false`.", default: "`true`"),
        ]), "Where results go."),
        SchemaKey("tune", .tune, "Makes the file a hyperparameter search, run with `runner tune` ([Tuning](tuning.md)): `objective` (a validation metric, or `{metric, direction}`), `space` (dotted key paths to `{choice: [...]}`, `{uniform: [low, high]}`, `{log_uniform: [low, high]}` or `{integer: [low, high], log: false}`), the budget `trials` and/or `total_epochs`, `sampler` (`random`, `tpe` or `{tpe: {startup_trials, candidates}}`), `pruner` (`none`, `asha` or `{asha: {min_epochs, reduction_factor}}`) and `seed`. Not inherited through `extends:`; not with `grid:`.", default: "none"),
        SchemaKey("grid", .grid, "Runs the experiment once per combination: a mapping of dotted key paths (e.g. `model.cell`) to non-empty lists of values. Keys vary in file order, the last fastest; each run is named by its values (`cell=gru,seed=2`) and writes to `<output.dir>/<run name>`, so values may not contain `/`, `\\` or control characters, and a run name has at most \(SpecDecoder.maxNameBytes) bytes.", default: "none"),
    ]

    static let datasetKeys: [SchemaKey] = [
        SchemaKey("name", .nullable(.choice(builtInDatasetNames), falseAllowed: false), "A built-in dataset, downloaded on first use.", default: "`movielens-100k` when neither `path` nor `synthetic` is set"),
        SchemaKey("path", .nullable(.string, falseAllowed: false), "Your own interaction file, relative to the YAML file that sets it (a path inherited through `extends:` is rebased onto the extending file). It must be a regular file, without control characters in its path."),
        SchemaKey("format", .nullable(.choice(names(DataFormat.self)), falseAllowed: false), "Format of `path`. Detected from the extension (`.csv`, `.tsv`, `.data` = movielens, `.dat` = movielens-dat, `.inter` = recbole); required for any other extension.", default: "from the extension of `path`"),
        SchemaKey("columns", .nullable(.object([
            SchemaKey("user", .string, "Column holding the user id."),
            SchemaKey("item", .string, "Column holding the item id."),
            SchemaKey("rating", .nullable(.string, falseAllowed: false), "Column holding the rating, if any."),
            SchemaKey("timestamp", .nullable(.string, falseAllowed: false), "Column holding the timestamp, if any (else file order)."),
        ]), falseAllowed: false), "Column names for csv/tsv files with a header.", default: "`null` (user_id, item_id, no rating, no timestamp)"),
        SchemaKey("synthetic", .nullable(.object([
            SchemaKey("users", .integer(minimum: 1, maximum: SyntheticSpec.maxUsers), "Number of sequences; `users x length` is at most \(SyntheticSpec.maxEvents) events (the generator holds them all in memory)."),
            SchemaKey("items", .integer(minimum: 2, maximum: SyntheticSpec.maxItems), "Catalogue size."),
            SchemaKey("length", .integer(minimum: 2, maximum: SyntheticSpec.maxLength), "Events per sequence."),
            SchemaKey("lag", .integer(minimum: SyntheticSpec.minLag), "Steps between a key item and its answer; at most `length - 2` (an episode is `lag + 2` events)."),
            SchemaKey("noise", .number(.unitClosed), "Probability that a filler step ignores the transition table."),
            SchemaKey("keys", .integer(minimum: 1), "Number of key items, each with its own answer; at most `(items - 3) / 2`."),
        ]), falseAllowed: false), "Generate planted long-range data instead of reading a file (defaults shown are for its keys)."),
        SchemaKey("min_user_interactions", .integer(minimum: 1), "Drop users with fewer events."),
        SchemaKey("min_item_interactions", .integer(minimum: 1), "Drop items with fewer events."),
        SchemaKey("rating_threshold", .nullable(.number(.any), falseAllowed: false), "Keep only events rated at least this (implicit feedback); `null` keeps all."),
        SchemaKey("duplicates", .choice(names(DuplicatePolicy.self)), "Repeated (user, item) events: keep all, or only the first or last."),
        SchemaKey("cache_dir", .nullable(.string, falseAllowed: false), "Download cache; `null` means `$SEQREC_DATA_DIR`, else `data/` (no control characters)."),
    ]

    static let splitKeys: [SchemaKey] = [
        SchemaKey("method", .choice(names(SplitMethod.self)), "`leave-one-out`: last event is test, second to last validation. `user-ratio`: per-user fractions. `temporal`: global timestamp cuts."),
        SchemaKey("max_length", .integer(minimum: 2), "Input window in items; longer histories keep their most recent part."),
        SchemaKey("ratios", .fractions(count: 3, summingToOne: true), "For `user-ratio`: train, validation and test fractions per user, summing to 1."),
        SchemaKey("temporal_cuts", .fractions(count: 2, summingToOne: false), "For `temporal`: increasing quantiles of all timestamps where validation and test begin."),
    ]

    /// The keys every family may read, then each family's own (`ModelFamilyDescriptor.ownKeys`).
    /// A key several families read is listed once.
    static let modelKeys: [SchemaKey] = ModelFamilyDescriptor.all.flatMap(\.ownKeys).reduce(into: sharedModelKeys) { keys, key in
        if !keys.contains(where: { $0.name == key.name }) { keys.append(key) }
    }

    static let sharedModelKeys: [SchemaKey] = [
        SchemaKey("cell", .choice(names(CellKind.self)), "`lstm`, `gru`, `rnn`: recurrent next-item models. `sasrec`: self-attention (SASRec; task `next-item`). `bert4rec`: bidirectional self-attention trained on the cloze task (BERT4Rec; task `next-item`). `pop`: training popularity. `markov`: first-order transitions, falling back to popularity."),
        SchemaKey("embedding_size", .integer(minimum: 1), "Item embedding width. `sasrec` and `bert4rec` ignore it: their item embedding is `hidden_size` wide."),
        SchemaKey("hidden_size", .integer(minimum: 1), "Recurrent state width; for `sasrec` and `bert4rec` the model width d (embeddings, attention; `bert4rec`'s feed-forward is 4d wide)."),
        SchemaKey("layers", .integer(minimum: 1), "Stacked recurrent layers. `sasrec` and `bert4rec` ignore it (see `blocks`)."),
        SchemaKey("dropout", .number(.unitHalfOpen), "Inverted dropout on the embeddings and between layers (as `torch.nn.LSTM`'s `dropout`, plus the embedding output); for `sasrec` on the embeddings, the attention weights and after each feed-forward product, as the SASRec port; for `bert4rec` the same places, the embeddings after their layer norm."),
        SchemaKey("forget_bias", .number(.any), "Added to the LSTM forget gate's bias at initialisation (Keras' `unit_forget_bias` is 1); 0 is PyTorch's init. GRU and RNN cells ignore it, so a grid over cells can share it."),
        SchemaKey("output_dropout", .number(.unitHalfOpen), "Inverted dropout on the top layer's outputs, before the output layer (a Keras `Dropout` after the recurrent layer). `sasrec` and `bert4rec` ignore it."),
    ]

    static let trainingKeys: [SchemaKey] = [
        SchemaKey("epochs", .integer(minimum: 1), "Maximum passes over the training sequences."),
        SchemaKey("batch_size", .integer(minimum: 1), "Training targets per optimizer step, as in RecBole: whole training windows are packed, round(batch_size / mean targets per window) of them (at least 1)."),
        SchemaKey("optimizer", .nameOrObject(names(OptimizerKind.self), [
            SchemaKey("name", .choice(names(OptimizerKind.self)), "Update rule."),
            SchemaKey("learning_rate", .number(.positive), "Step size."),
            SchemaKey("weight_decay", .number(.nonNegative), "L2 penalty (decoupled for `adamw`)."),
            SchemaKey("momentum", .number(.unitHalfOpen), "Momentum for `sgd` and `rmsprop`."),
            SchemaKey("nesterov", .boolean, "Nesterov momentum for `sgd` (needs `momentum` > 0)."),
            SchemaKey("beta1", .number(.unitHalfOpen), "Adam first-moment decay."),
            SchemaKey("beta2", .number(.unitHalfOpen), "Adam second-moment decay."),
            SchemaKey("eps", .number(.positive), "Denominator epsilon (Adam, Adagrad, RMSprop)."),
            SchemaKey("alpha", .number(.unitHalfOpen), "RMSprop smoothing constant."),
        ]), "A mapping, or just a name: `optimizer: sgd` stands for `{name: sgd}` (and merges like it)."),
        SchemaKey("loss", .choice(names(LossKind.self)), "`cross-entropy` over the whole catalogue, `sampled-softmax` over shared negatives, `bce` (binary cross-entropy of the target against one sampled negative per target, SASRec's loss), `gbce` (gSASRec's generalised binary cross-entropy: `negatives` per target and the calibration `gbce_t`), `mse` for `task: rating` (required there).", default: "`cross-entropy`; `mse` for `task: rating`"),
        SchemaKey("negatives", .integer(minimum: 1), "The sampled negatives each target is scored against: for `sampled-softmax` shared by the batch, for `gbce` drawn for each target (with replacement, never the target itself); `bce` always draws one."),
        SchemaKey("negative_sampling", .choice(names(SamplingStrategy.self)), "For `sampled-softmax`, `bce` and `gbce`: how negatives are drawn."),
        SchemaKey("gbce_t", .number(.unitClosed), "For `gbce` only (an error with another loss): the calibration t. The positive's probability is raised to the power β = α (t (1 − 1/α) + 1/α), α = `negatives` / (items − 1) the sampling rate: t = 0 gives β = 1 (plain binary cross-entropy over the negatives), t = 1 gives β = α (fully calibrated). \(TrainingSpec().gbceT) is gSASRec's default.", default: "`\(TrainingSpec().gbceT)`"),
        SchemaKey("clip_norm", .nullable(.number(.positive), falseAllowed: false), "Global gradient-norm clip; `null` disables."),
        SchemaKey("sparse_gradients", .boolean, "Row-sparse updates of the item tables (input embedding; output weight and bias under `sampled-softmax`, `bce` and `gbce`; the rating head's item embedding; not for `sasrec`): only the rows a batch used are zeroed, clipped and updated. `adam` becomes `torch.optim.SparseAdam` (lazy: unused rows keep their values and moments); `sgd` (momentum 0) and `adagrad` give the same result as dense. Other optimizers, momentum and weight decay are errors. `false` is PyTorch's dense `nn.Embedding(sparse=False)`."),
        SchemaKey("early_stopping", .nullable(.object([
            SchemaKey("metric", .metric, "Validation metric to watch; must be one of `evaluation.metrics`.", default: "`ndcg@10`, or the first of `evaluation.metrics` when ndcg@10 is not there"),
            SchemaKey("patience", .integer(minimum: 1), "Validations without improvement before stopping."),
        ]), falseAllowed: true), "Stop when the metric stops improving and keep the best epoch; `null` or `false` disables."),
        SchemaKey("eval_every", .integer(minimum: 1), "Validate every N epochs."),
        SchemaKey("schedule", .nameOrObject(names(ScheduleKind.self), [
            SchemaKey("name", .choice(names(ScheduleKind.self)), "Learning-rate schedule."),
            SchemaKey("step_size", .integer(minimum: 1), "For `step`: epochs between decays."),
            SchemaKey("gamma", .number(.positive), "For `step`: decay factor."),
            SchemaKey("min_learning_rate", .number(.nonNegative), "For `cosine`: the floor reached at the last epoch."),
        ]), "A mapping, or just a name: `schedule: cosine` stands for `{name: cosine}`."),
        SchemaKey("threads", .nullable(.integer(minimum: 1, maximum: TrainingSpec.maxThreads), falseAllowed: false), "Worker threads for data-parallel training (results depend on the count, reproducibly); `null` uses the CPUs the process may use: the fewest of its affinity mask (`taskset`, cpuset), its cgroup CPU quota and `SLURM_CPUS_PER_TASK`, else all cores (at most \(TrainingSpec.maxThreads); the report's `provenance.threads_source` says which)."),
    ]

    static let evaluationKeys: [SchemaKey] = [
        SchemaKey("candidates", .candidates, "`all`: rank the whole catalogue. `{sampled: N, strategy: uniform|popularity}`: rank the target against N negatives the user has not seen (`sampled` required; 1 <= N <= \(EvaluationSpec.maxSampledNegatives), and below the catalogue size: a run whose catalogue has N items or fewer stops with an error before training, as every user would get fewer than N)."),
        SchemaKey("exclude_seen", .boolean, "Remove items already in the user's history from the ranking (targets are always ranked). RecBole does not remove them for its sequential models: set `false` to evaluate as RecBole's SASRec/GRU4Rec do."),
        SchemaKey("metrics", .metricList, "Metrics to report: ranking metrics `hr`, `recall`, `ndcg`, `mrr`, `precision`, `map`, `coverage` with a cut-off `@k` (1 <= k <= \(EvaluationSpec.maxCutoff)) for `next-item`; `rmse`, `mae` for `rating`. A cut-off above the catalogue size is computed exactly (no target ranks beyond the catalogue, so hr, recall, ndcg, mrr, map and coverage equal their value at the catalogue size).", default: "`[hr@10, ndcg@10, mrr@10, hr@20, ndcg@20]`; `[rmse, mae]` for `task: rating`"),
    ]
}
