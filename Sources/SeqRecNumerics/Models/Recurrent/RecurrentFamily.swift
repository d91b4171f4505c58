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

    static func encoderActivationRegions(_ spec: ModelSpec, numItems: Int, maxLength: Int, shape: ActivationShape,
                                         into layout: inout ActivationLayout) {
        RecurrentEncoder.activationRegions(
            into: &layout, prefix: "encoder", cell: spec.cell, numItems: numItems, embeddingSize: spec.embeddingSize,
            hiddenSize: spec.hiddenSize, layers: spec.layers, shape: shape, dropout: spec.dropout > 0,
            outputDropout: spec.outputDropout > 0)
    }
}

extension RecurrentEncoder: SequenceEncoder {
    var itemTable: Parameter { embedding.weight }
    var tiedOutputTable: Parameter? { nil }
}
