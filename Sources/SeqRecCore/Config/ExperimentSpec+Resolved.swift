import Foundation

// The resolved experiment written back out with the YAML spelling of every key
// (snake_case, metrics as "ndcg@10", candidates as `all` or {sampled, strategy}).
// Every key is present, with null for unset optionals, so that the record is complete
// and loading `resolvedYAML()` gives back the same spec; the model keys only one family
// reads (sasrec's blocks, heads, norm) appear for that family's cells only,
// `training.gbce_t` for loss gbce only, and `output.tensorboard` only when false, so that the
// records and hashes of configurations without them stay as they were. `label` appears only
// when set and never enters the hash: it names results, it does not change them.

extension ExperimentSpec {
    /// The spec as a value tree in schema order.
    package var configValue: ConfigValue {
        .mapping([
            ConfigField("name", .string(name)),
        ] + (label.map { [ConfigField("label", .string($0))] } ?? []) + [
            ConfigField("seed", .unsigned(seed)),
            ConfigField("task", .string(task.rawValue)),
            ConfigField("dataset", dataset.configValue),
            ConfigField("split", .mapping([
                ConfigField("method", .string(split.method.rawValue)),
                ConfigField("max_length", .int(split.maxLength)),
                ConfigField("ratios", .list(split.ratios.map(ConfigValue.double))),
                ConfigField("temporal_cuts", .list(split.temporalCuts.map(ConfigValue.double))),
            ])),
            ConfigField("model", .mapping([
                ConfigField("cell", .string(model.cell.rawValue)),
                ConfigField("embedding_size", .int(model.embeddingSize)),
                ConfigField("hidden_size", .int(model.hiddenSize)),
                ConfigField("layers", .int(model.layers)),
                ConfigField("dropout", .double(model.dropout)),
                ConfigField("output_dropout", .double(model.outputDropout)),
                ConfigField("forget_bias", .double(model.forgetBias)),
            ] + familyFields)),
            ConfigField("training", training.configValue),
            ConfigField("evaluation", .mapping([
                ConfigField("candidates", evaluation.candidates.configValue),
                ConfigField("exclude_seen", .bool(evaluation.excludeSeen)),
                ConfigField("metrics", .list(evaluation.metrics.map { .string($0.description) })),
            ])),
            ConfigField("output", .mapping([ConfigField("checkpoint", .bool(output.checkpoint)), ConfigField("dir", .string(output.dir))]
                                           + (output.tensorboard ? [] : [ConfigField("tensorboard", .bool(false))]))),
        ])
    }

    /// The keys only the cell's family reads (`ModelFamilyDescriptor.ownKeys`), recorded for
    /// its cells only, so that adding a family leaves the records and hashes of the others as they were.
    private var familyFields: [ConfigField] {
        let values: [String: ConfigValue] = [
            "blocks": .int(model.blocks), "heads": .int(model.heads), "norm": .string(model.norm.rawValue),
            "mask_probability": .double(model.maskProbability),
        ]
        return model.cell.family.ownKeys.compactMap { key in values[key.name].map { ConfigField(key.name, $0) } }
    }

    /// Pretty JSON with sorted keys: what reports record.
    package func resolvedJSON() -> String { configValue.jsonText() }

    /// YAML in schema order: what `runner validate` prints; loads back to the same spec.
    package func resolvedYAML() -> String { configValue.yamlText() }

    /// Hex SHA-256 of `resolvedJSON()`: equal configurations have equal hashes.
    /// The label is left out: relabelling a configuration does not make it another one.
    public var configHash: String {
        var unlabelled = self
        unlabelled.label = nil
        return SHA256.hex(Data(unlabelled.resolvedJSON().utf8))
    }
}

extension DatasetSpec {
    package var configValue: ConfigValue {
        .mapping([
            ConfigField("name", name.map(ConfigValue.string) ?? .null),
            ConfigField("path", path.map(ConfigValue.string) ?? .null),
            ConfigField("format", format.map { .string($0.rawValue) } ?? .null),
            ConfigField("columns", columns.map { columns in
                .mapping([
                    ConfigField("user", .string(columns.user)),
                    ConfigField("item", .string(columns.item)),
                    ConfigField("rating", columns.rating.map(ConfigValue.string) ?? .null),
                    ConfigField("timestamp", columns.timestamp.map(ConfigValue.string) ?? .null),
                ])
            } ?? .null),
            ConfigField("synthetic", synthetic.map { synthetic in
                .mapping([
                    ConfigField("users", .int(synthetic.users)),
                    ConfigField("items", .int(synthetic.items)),
                    ConfigField("length", .int(synthetic.length)),
                    ConfigField("lag", .int(synthetic.lag)),
                    ConfigField("noise", .double(synthetic.noise)),
                    ConfigField("keys", .int(synthetic.keys)),
                ])
            } ?? .null),
            ConfigField("min_user_interactions", .int(minUserInteractions)),
            ConfigField("min_item_interactions", .int(minItemInteractions)),
            ConfigField("rating_threshold", ratingThreshold.map(ConfigValue.double) ?? .null),
            ConfigField("duplicates", .string(duplicates.rawValue)),
            ConfigField("cache_dir", cacheDir.map(ConfigValue.string) ?? .null),
        ])
    }
}

extension TrainingSpec {
    var configValue: ConfigValue {
        .mapping([
            ConfigField("epochs", .int(epochs)),
            ConfigField("batch_size", .int(batchSize)),
            ConfigField("optimizer", .mapping([
                ConfigField("name", .string(optimizer.name.rawValue)),
                ConfigField("learning_rate", .double(optimizer.learningRate)),
                ConfigField("weight_decay", .double(optimizer.weightDecay)),
                ConfigField("momentum", .double(optimizer.momentum)),
                ConfigField("nesterov", .bool(optimizer.nesterov)),
                ConfigField("beta1", .double(optimizer.beta1)),
                ConfigField("beta2", .double(optimizer.beta2)),
                ConfigField("eps", .double(optimizer.eps)),
                ConfigField("alpha", .double(optimizer.alpha)),
            ])),
            ConfigField("loss", .string(loss.rawValue)),
            ConfigField("negatives", .int(negatives)),
            ConfigField("negative_sampling", .string(negativeSampling.rawValue)),
        ] + (loss.isCalibrated ? [ConfigField("gbce_t", .double(gbceT))] : []) + [
            ConfigField("clip_norm", clipNorm.map(ConfigValue.double) ?? .null),
            ConfigField("sparse_gradients", .bool(sparseGradients)),
            ConfigField("early_stopping", earlyStopping.map { stopping in
                .mapping([
                    ConfigField("metric", .string(stopping.metric.description)),
                    ConfigField("patience", .int(stopping.patience)),
                ])
            } ?? .null),
            ConfigField("eval_every", .int(evalEvery)),
            ConfigField("schedule", .mapping([
                ConfigField("name", .string(schedule.name.rawValue)),
                ConfigField("step_size", .int(schedule.stepSize)),
                ConfigField("gamma", .double(schedule.gamma)),
                ConfigField("min_learning_rate", .double(schedule.minLearningRate)),
            ])),
            ConfigField("threads", threads.map(ConfigValue.int) ?? .null),
        ])
    }
}

extension Candidates {
    var configValue: ConfigValue {
        switch self {
        case .all: return .string("all")
        case .sampled(let count, let strategy):
            return .mapping([ConfigField("sampled", .int(count)), ConfigField("strategy", .string(strategy.rawValue))])
        }
    }
}
