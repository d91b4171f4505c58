// How big a model is before it is built, from the spec alone: its parameter count and the
// floats one worker's forward + backward keeps per batch (the model's ActivationLayout). The memory guard
// (Runner/MemoryBudget) needs both before anything is allocated; building the model to
// measure it would be the very allocation the guard exists to avoid. Counts are Doubles:
// absurd settings (hidden_size 10^9) must not overflow on the way to being refused.
// The encoder's parameters come from its family (ModelFamily); the head's are here.
// Tests check both against built models of every family and head.

package enum ModelSize {
    /// Parameters of `SequenceRecommender(spec:task:loss:numItems:...)`; V = numItems + 1.
    /// 0 for a cell without a trainable family (the baselines).
    package static func parameterCount(_ spec: ModelSpec, task: TaskKind, loss: LossKind, numItems: Int,
                                      maxLength: Int) -> Double {
        guard let family = ModelFamilies.family(for: spec.cell) else { return 0 }
        let classes = Double(numItems) + 1
        let (e, h) = (Double(spec.embeddingSize), Double(spec.hiddenSize))
        var count = family.encoderParameterCount(spec, numItems: numItems, maxLength: maxLength)
        switch loss {
        case .mse: count += classes * e + (h + e) + 1     // item embedding, linear weight and bias
        default:
            // output weight [V, H] and bias [V], unless the output is the encoder's item table
            if !family.tiesOutputToItemTable { count += classes * h + classes }
        }
        return count
    }

    /// Floats of one worker's activations and workspaces for a batch of `shape`: the total of
    /// the layout the model allocates (SequenceRecommender.activationLayout), so exact for
    /// that shape. `negatives`: sampled-softmax's S (training.negatives).
    package static func workspaceFloats(_ spec: ModelSpec, loss: LossKind, numItems: Int, negatives: Int, maxLength: Int,
                                       shape: ActivationShape) -> Double {
        SequenceRecommender.activationLayout(spec: spec, loss: loss, numItems: numItems, negatives: negatives,
                                             maxLength: maxLength, shape: shape, recordsRegions: false).total
    }
}
