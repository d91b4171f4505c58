// The recurrent family: cells lstm, gru, rnn (RecurrentEncoder over RecurrentLayer), each
// with an untied output layer of its own.

enum RecurrentFamily: ModelFamily {
    static let descriptor = ModelFamilyDescriptor.recurrent
    static let tiesOutputToItemTable = false

    static func makeEncoder(_ spec: ModelSpec, numItems: Int, maxLength: Int,
                            rng: inout SeededGenerator) -> any SequenceEncoder {
        RecurrentEncoder(cell: spec.cell, numItems: numItems, embeddingSize: spec.embeddingSize,
                         hiddenSize: spec.hiddenSize, layers: spec.layers, dropout: Float(spec.dropout),
                         outputDropout: Float(spec.outputDropout), forgetBias: Float(spec.forgetBias), rng: &rng)
    }

    /// Item table [V, E]; per layer weight_ih, weight_hh, bias_ih, bias_hh.
    static func encoderParameterCount(_ spec: ModelSpec, numItems: Int, maxLength: Int) -> Double {
        let classes = Double(numItems) + 1
        let (e, h) = (Double(spec.embeddingSize), Double(spec.hiddenSize))
        let gates = Double(spec.cell.recurrentCell?.gateCount ?? 1)
        var count = classes * e
        for layer in 0..<spec.layers {
            let input = layer == 0 ? e : h
            count += gates * h * (input + h + 2)  // weight_ih, weight_hh, bias_ih, bias_hh
        }
        return count
    }

    static func encoderWorkspaceFloats(_ spec: ModelSpec, numItems: Int, positions: Double, maxLength: Int)
        -> (perPosition: Double, fixed: Double) {
        let classes = Double(numItems) + 1
        let (e, h) = (Double(spec.embeddingSize), Double(spec.hiddenSize))
        let gates = Double(spec.cell.recurrentCell?.gateCount ?? 1)
        // Per layer: gates (and the GRU's hidden side), states, the LSTM's cells and
        // their tanh, dropout masks and inputs; around it the embedded input, the top
        // outputs and the ping-pong gradients.
        let perPosition = 2 * e + 6 * h + 2 * max(e, h) + Double(spec.layers) * ((2 * gates + 5) * h + 2 * max(e, h))
        let fixed = min(classes, positions) * gates * h  // the lookup input's projected table
        return (perPosition, fixed)
    }
}

extension RecurrentEncoder: SequenceEncoder {
    var itemTable: Parameter { embedding.weight }
    var tiedOutputTable: Parameter? { nil }
}
