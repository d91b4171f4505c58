// How big a model is before it is built, from the spec alone: its parameter count and the
// floats one worker's forward + backward keeps per batch. The memory guard
// (Runner/MemoryBudget) needs both before anything is allocated; building the model to
// measure it would be the very allocation the guard exists to avoid. Counts are Doubles:
// absurd settings (hidden_size 10^9) must not overflow on the way to being refused.
// Tests check `parameterCount` against built models of every family and head.

public enum ModelSize {
    /// Parameters of `SequenceRecommender(spec:task:loss:numItems:...)`; V = numItems + 1.
    public static func parameterCount(_ spec: ModelSpec, task: TaskKind, loss: LossKind, numItems: Int,
                                      maxLength: Int) -> Double {
        let classes = Double(numItems) + 1
        let (e, h) = (Double(spec.embeddingSize), Double(spec.hiddenSize))
        if spec.cell == .sasrec {
            // item [V, D] + position [T+1, D]; per block: attention in/out projections
            // (3D² + 3D + D² + D), two D x D feed-forward layers with biases, two layer norms;
            // a final layer norm. The output is tied to the item table.
            let block = 4 * h * h + 4 * h + 2 * (h * h + h) + 2 * (2 * h)
            return classes * h + (Double(maxLength) + 1) * h + Double(spec.blocks) * block + 2 * h
        }
        let gates = Double(spec.cell.recurrentCell?.gateCount ?? 1)
        var count = classes * e
        for layer in 0..<spec.layers {
            let input = layer == 0 ? e : h
            count += gates * h * (input + h + 2)  // weight_ih, weight_hh, bias_ih, bias_hh
        }
        switch loss {
        case .mse: count += classes * e + (h + e) + 1     // item embedding, linear weight and bias
        default: count += classes * h + classes            // output weight [V, H] and bias [V]
        }
        return count
    }

    /// Floats of one worker's activations and workspaces for a batch of `positions` window
    /// positions (targets and padding): the per-position buffers of every layer, the
    /// logits block of the full softmax, and the first layer's projected item table.
    public static func workspaceFloats(_ spec: ModelSpec, loss: LossKind, numItems: Int, positions: Double,
                                       maxLength: Int) -> Double {
        let classes = Double(numItems) + 1
        let (e, h) = (Double(spec.embeddingSize), Double(spec.hiddenSize))
        var perPosition: Double
        var fixed = 0.0
        if spec.cell == .sasrec {
            // Each block keeps ~22 [R, D] buffers (projections and their gradients, context,
            // feed-forward activations, masks, norms) and 3 [B, N, T, T] attention buffers.
            perPosition = 4 * h + Double(spec.blocks) * (22 * h + 3 * Double(spec.heads) * Double(maxLength))
        } else {
            let gates = Double(spec.cell.recurrentCell?.gateCount ?? 1)
            // Per layer: gates (and the GRU's hidden side), states, the LSTM's cells and
            // their tanh, dropout masks and inputs; around it the embedded input, the top
            // outputs and the ping-pong gradients.
            perPosition = 2 * e + 6 * h + 2 * max(e, h) + Double(spec.layers) * ((2 * gates + 5) * h + 2 * max(e, h))
            fixed += min(classes, positions) * gates * h  // the lookup input's projected table
        }
        switch loss {
        case .mse: perPosition += 2 * (h + e)
        default:
            perPosition += 3 * h                            // gathered hidden states and their gradient
            fixed += min(positions, 128) * classes          // one block of logits [128, V]
        }
        return positions * perPosition + fixed
    }
}
