// The bidirectional self-attention family: cell bert4rec (BERT4RecEncoder over the shared
// Transformer layers of Models/Attention), trained on the cloze task (Cloze), its output
// layer tied to the first V rows of the item table with a per-item bias.

enum BERT4RecFamily: ModelFamily {
    static let descriptor = ModelFamilyDescriptor.bert4rec
    static let tiesOutputToItemTable = true

    static func makeEncoder(_ spec: ModelSpec, numItems: Int, maxLength: Int,
                            rng: inout SeededGenerator) -> any SequenceEncoder {
        BERT4RecEncoder(numItems: numItems, width: spec.hiddenSize, maxLength: maxLength, blocks: spec.blocks,
                        heads: spec.heads, dropout: Float(spec.dropout), maskProbability: Float(spec.maskProbability), rng: &rng)
    }

    /// Item [V + 1, D] (the mask row) + position [M, D] + embedding norm; per block: attention
    /// (4D² + 4D), feed-forward D -> 4D -> D (8D² + 5D), two norms; the output transform
    /// (D² + D), its norm, the output bias [V].
    static func encoderParameterCount(_ spec: ModelSpec, numItems: Int, maxLength: Int) -> Double {
        let classes = Double(numItems) + 1
        let h = Double(spec.hiddenSize)
        let block = 12 * h * h + 9 * h + 2 * (2 * h)
        return (classes + 1) * h + Double(maxLength) * h + 2 * h + Double(spec.blocks) * block
            + h * h + h + 2 * h + classes
    }

    static func encoderActivationRegions(_ spec: ModelSpec, numItems: Int, maxLength: Int, shape: ActivationShape,
                                         into layout: inout ActivationLayout) {
        BERT4RecEncoder.activationRegions(into: &layout, prefix: "encoder", width: spec.hiddenSize, blocks: spec.blocks,
                                          heads: spec.heads, maxLength: maxLength, dropout: spec.dropout > 0, shape: shape)
    }
}

extension BERT4RecEncoder: SequenceEncoder {
    var hiddenSize: Int { width }
    var itemTable: Parameter { itemEmbedding }
    var tiedOutputTable: Parameter? { itemEmbedding }
    var tiedOutputBias: Parameter? { outputBias }

    func trainingBatch(_ batch: SequenceBatch, rng: inout SeededGenerator) -> SequenceBatch {
        Cloze.masked(batch, maxLength: maxLength, maskId: maskId, probability: maskProbability, rng: &rng)
    }
}
