// The encoder of a SequenceRecommender: item ids [B, T] -> outputs [B, T, H] and their
// backward. The recurrent cells (RecurrentEncoder) or SASRec's self-attention stack
// (TransformerEncoder, whose item table is also its output layer).

enum SequenceEncoder {
    case recurrent(RecurrentEncoder)
    case transformer(TransformerEncoder)

    /// In PyTorch state-dict order.
    var parameters: [Parameter] {
        switch self {
        case .recurrent(let encoder): encoder.parameters
        case .transformer(let encoder): encoder.parameters
        }
    }

    /// H: the width of each output row.
    var hiddenSize: Int {
        switch self {
        case .recurrent(let encoder): encoder.hiddenSize
        case .transformer(let encoder): encoder.width
        }
    }

    /// The input item table [V, E].
    var itemTable: Parameter {
        switch self {
        case .recurrent(let encoder): encoder.embedding.weight
        case .transformer(let encoder): encoder.itemEmbedding
        }
    }

    func forward(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int, training: Bool,
                 rng: inout SeededGenerator) -> UnsafeBufferPointer<Float> {
        switch self {
        case .recurrent(let encoder): encoder.forward(inputs: inputs, batch: batch, steps: steps, training: training, rng: &rng)
        case .transformer(let encoder): encoder.forward(inputs: inputs, batch: batch, steps: steps, training: training, rng: &rng)
        }
    }

    func backward(dOutputs: UnsafeBufferPointer<Float>) {
        switch self {
        case .recurrent(let encoder): encoder.backward(dOutputs: dOutputs)
        case .transformer(let encoder): encoder.backward(dOutputs: dOutputs)
        }
    }

    /// [B, H] output after each row's last input (evaluation mode).
    func lastHidden(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int) -> [Float] {
        switch self {
        case .recurrent(let encoder): encoder.lastHidden(inputs: inputs, batch: batch, steps: steps)
        case .transformer(let encoder): encoder.lastHidden(inputs: inputs, batch: batch, steps: steps)
        }
    }
}
