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

    /// Each block keeps the 23 [R, D] buffers of a post-LN SASRec block plus 12 more for the
    /// feed-forward's inner width 4D and 4 for its GELU's Φ (4D, training), and 3 [B, N, T, T]
    /// attention buffers; the encoder's own (embeddings, their mask, the output transform and
    /// activation with its Φ, two gradients, the two norms' saved rows) are counted as 11 per
    /// position.
    static func encoderWorkspaceFloats(_ spec: ModelSpec, numItems: Int, positions: Double, maxLength: Int)
        -> (perPosition: Double, fixed: Double) {
        let h = Double(spec.hiddenSize)
        let perPosition = 11 * h + Double(spec.blocks) * (39 * h + 3 * Double(spec.heads) * Double(maxLength))
        return (perPosition, 0)
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
