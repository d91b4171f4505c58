// The self-attention family: cell sasrec (SASRecEncoder over the shared Transformer layers
// of Models/Attention), its output layer tied to the item table.

enum SASRecFamily: ModelFamily {
    static let descriptor = ModelFamilyDescriptor.sasrec
    static let tiesOutputToItemTable = true

    static func makeEncoder(_ spec: ModelSpec, numItems: Int, maxLength: Int,
                            rng: inout SeededGenerator) -> any SequenceEncoder {
        SASRecEncoder(numItems: numItems, width: spec.hiddenSize, maxLength: maxLength, blocks: spec.blocks,
                      heads: spec.heads, dropout: Float(spec.dropout), placement: spec.norm, rng: &rng)
    }

    /// Item [V, D] + position [M + 1, D]; per block: attention in/out projections
    /// (3D² + 3D + D² + D), two D x D feed-forward layers with biases, two layer norms;
    /// a final layer norm.
    static func encoderParameterCount(_ spec: ModelSpec, numItems: Int, maxLength: Int) -> Double {
        let classes = Double(numItems) + 1
        let h = Double(spec.hiddenSize)
        let block = 4 * h * h + 4 * h + 2 * (h * h + h) + 2 * (2 * h)
        return classes * h + (Double(maxLength) + 1) * h + Double(spec.blocks) * block + 2 * h
    }

    static func encoderActivationRegions(_ spec: ModelSpec, numItems: Int, maxLength: Int, shape: ActivationShape,
                                         into layout: inout ActivationLayout) {
        SASRecEncoder.activationRegions(into: &layout, prefix: "encoder", width: spec.hiddenSize, blocks: spec.blocks,
                                        heads: spec.heads, placement: spec.norm, dropout: spec.dropout > 0, shape: shape)
    }
}

extension SASRecEncoder: SequenceEncoder {
    var hiddenSize: Int { width }
    var itemTable: Parameter { itemEmbedding }
    var tiedOutputTable: Parameter? { itemEmbedding }
}
