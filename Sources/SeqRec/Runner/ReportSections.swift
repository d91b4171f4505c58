// The data layer's statistics, in the report's shape.

extension DatasetReport {
    init(_ data: InteractionData) {
        let source = data.source
        let removed = data.stats.removed
        self.init(
            source: source.kind == .builtin ? source.name : source.kind.rawValue,
            path: source.path, sha256: source.sha256,
            users: data.stats.users, items: data.stats.items, interactions: data.stats.interactions,
            density: data.stats.density,
            sequenceLength: data.stats.sequenceLength,
            removed: [
                "rating_threshold": removed.ratingThreshold, "duplicates": removed.duplicates,
                "min_user_interactions": removed.minUserInteractions,
                "min_item_interactions": removed.minItemInteractions,
            ],
            synthetic: source.generator.flatMap { try? JSONValue(encoding: $0) })
    }
}

extension SplitReport {
    init(_ split: SplitData, spec: SplitSpec, batcher: TrainingBatcher) {
        self.init(
            method: split.stats.method, maxLength: spec.maxLength, trainTargets: batcher.targetCount,
            trainSequences: batcher.windowCount, validationCases: split.stats.validationCases,
            testCases: split.stats.testCases, trainingOnlyUsers: split.stats.trainingOnlyUsers)
    }
}
