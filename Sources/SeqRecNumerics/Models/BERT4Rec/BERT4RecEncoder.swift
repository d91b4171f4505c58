// The BERT4Rec encoder (Sun et al., CIKM 2019, as RecBole's bert4rec.py):
//
//     x0 = dropout(LN_emb(E[id] + P[t]))                          [B, T, D]
//     x  = block_L(... block_1(x0))     (TransformerBlock: post-LN, bidirectional, GELU, F = 4D)
//     h  = LN_out(gelu(x W_o^T + b_o))                             [B, T, D]
//
// and the output layer scores h against the first V = numItems + 1 rows of E plus a per-item
// bias (SoftmaxOutputLayer(tiedTo:classes:bias:)): z = h E[0..<V]^T + b.
//
// Ids: 0 padding, 1...numItems items, numItems + 1 the mask token (the extra row of E). Rows
// are left-aligned with padding at the end; position t of a row is row t of P (M = max_length
// rows). Padding never reaches an item's output: attention masks padded keys, the rest is per
// row. Parameters: "item_embedding.weight" [V + 1, D], "position_embedding.weight" [M, D],
// "embedding_norm.*", "blocks.<l>.*", "output_transform.weight" [D, D], ".bias" [D],
// "output_norm.*", "output_bias" [V].

package final class BERT4RecEncoder: EncoderArena {
    let itemEmbedding: Parameter
    let positionEmbedding: Parameter
    let embeddingNorm: LayerNorm
    let blocks: [TransformerBlock]
    let transformWeight: Parameter
    let transformBias: Parameter
    let outputNorm: LayerNorm
    let outputBias: Parameter
    package let width: Int
    package let numItems: Int
    /// M: the longest row (positions 0..<M).
    package let maxLength: Int
    package let dropout: Float
    /// The fraction of a training row's items replaced by the mask token (the cloze task).
    package let maskProbability: Float
    /// The id of the mask token: numItems + 1.
    package var maskId: Int32 { Int32(numItems + 1) }

    private var isItem: [Bool] = []                 // [B, T]
    private var lastIds: [Int32] = []               // [B, T]
    private var saved: [TransformerBlock.Saved] = []  // per block, what its backward needs
    private let embedded = FloatBuffer()            // [B, T, D] E[id] + P[t], then x0
    private let embeddingMask = FloatBuffer()       // [B, T, D]
    private let transformed = FloatBuffer()         // [B, T, D] z = x W_o^T + b_o
    private let activated = FloatBuffer()           // [B, T, D] gelu(z)
    private let cdf = FloatBuffer()                 // [B, T, D] Φ(z) for GELU's backward (training only)
    private var cdfSaved = false                    // the last forward kept Φ(z) in cdf
    private let gradient = FloatBuffer()            // [B, T, D] the stream's gradient
    private let scratch = FloatBuffer()             // [B, T, D] a sub-layer's input gradient
    private var encoded: UnsafePointer<Float>?      // [B, T, D] the last block's output
    private var batch = 0
    private var steps = 0
    private var dropoutActive = false
    /// The shape the workspaces are bound for, and the arena of an encoder used on its own.
    var boundShape: ActivationShape?
    var ownArena: ActivationArena?

    /// RecBole's init: every weight of rank 2 (tables, projections) ~ N(0, 0.02²), drawn in
    /// `parameters` order after the blocks' own draws; biases 0, norms 1 and 0; the padding
    /// row of the item table 0.
    package init(numItems: Int, width: Int, maxLength: Int, blocks: Int, heads: Int, dropout: Float,
                maskProbability: Float, rng: inout SeededGenerator) {
        precondition(blocks >= 1 && maxLength >= 2, "an encoder needs >= 1 block and max length >= 2")
        precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
        precondition(maskProbability > 0 && maskProbability < 1, "mask probability must be in (0, 1), got \(maskProbability)")
        self.width = width
        self.numItems = numItems
        self.maxLength = maxLength
        self.dropout = dropout
        self.maskProbability = maskProbability
        let zeros = { (count: Int) in [Float](repeating: 0, count: count) }
        itemEmbedding = Parameter(name: "item_embedding.weight", shape: [numItems + 2, width], values: zeros((numItems + 2) * width))
        positionEmbedding = Parameter(name: "position_embedding.weight", shape: [maxLength, width], values: zeros(maxLength * width))
        embeddingNorm = LayerNorm(name: "embedding_norm", width: width, epsilon: Self.normEpsilon)
        self.blocks = (0..<blocks).map {
            TransformerBlock(index: $0, width: width, heads: heads, dropout: dropout, placement: .post, causal: false,
                             innerWidth: 4 * width, activation: .gelu, normEpsilon: Self.normEpsilon, rng: &rng)
        }
        transformWeight = Parameter(name: "output_transform.weight", shape: [width, width], values: zeros(width * width))
        transformBias = Parameter(name: "output_transform.bias", shape: [width], values: zeros(width))
        outputNorm = LayerNorm(name: "output_norm", width: width, epsilon: Self.normEpsilon)
        outputBias = Parameter(name: "output_bias", shape: [numItems + 1], values: zeros(numItems + 1))
        for parameter in parameters {
            if parameter.shape.count == 2 {
                parameter.setValues((0..<parameter.count).map { _ in 0.02 * Embedding.standardNormal(&rng) })
            } else if parameter.name.hasSuffix("bias") {
                parameter.setValues(zeros(parameter.count))
            }
        }
        for j in 0..<width { itemEmbedding.value[j] = 0 }
    }

    /// RecBole's layer_norm_eps is 1e-12, below Float's resolution of any variance that
    /// matters; 1e-8 is the shared layers' (and the SASRec port's) value.
    static let normEpsilon: Float = 1e-8

    package var parameters: [Parameter] {
        [itemEmbedding, positionEmbedding] + embeddingNorm.parameters + blocks.flatMap(\.parameters)
            + [transformWeight, transformBias] + outputNorm.parameters + [outputBias]
    }

    /// The floats an encoder of these settings uses for `shape`, in `bind` order: the
    /// embeddings, their dropout mask, the output transform and its GELU, the two gradients,
    /// then the embedding norm's, each block's and the output norm's. An evaluation is one
    /// forward over the rows with a mask token appended (min(T + 1, M) steps). GELU's Φ is
    /// kept for training's backward only.
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, width d: Int, blocks: Int,
                                  heads: Int, maxLength: Int, dropout: Bool, shape: ActivationShape) {
        let training = shape.pass == .training
        let (b, t) = (shape.batch, shape.pass == .evaluation ? min(shape.steps + 1, maxLength) : shape.steps)
        let rows = Double(b) * Double(t) * Double(d)
        layout.add("\(prefix()).embedded", rows)                              // [B, T, D]
        layout.add("\(prefix()).embeddingMask", training && dropout ? rows : 0)
        layout.add("\(prefix()).transformed", rows)
        layout.add("\(prefix()).activated", rows)
        layout.add("\(prefix()).cdf", training ? rows : 0)
        layout.add("\(prefix()).gradient", shape.pass == .evaluation ? 0 : rows)
        layout.add("\(prefix()).scratch", shape.pass == .evaluation ? 0 : rows)
        LayerNorm.activationRegions(into: &layout, prefix: "\(prefix()).embedding_norm", width: d, rows: b * t)
        for index in 0..<blocks {
            TransformerBlock.activationRegions(
                into: &layout, prefix: "\(prefix()).blocks.\(index)", width: d, heads: heads, innerWidth: 4 * d,
                activation: .gelu, placement: .post, dropout: dropout, batch: b, steps: t,
                pass: shape.pass, last: false)
        }
        LayerNorm.activationRegions(into: &layout, prefix: "\(prefix()).output_norm", width: d, rows: b * t)
    }

    func activationRegions(into layout: inout ActivationLayout, prefix: String, shape: ActivationShape) {
        Self.activationRegions(into: &layout, prefix: prefix, width: width, blocks: blocks.count,
                               heads: blocks[0].attention.heads, maxLength: maxLength, dropout: dropout > 0, shape: shape)
    }

    func bindActivations(_ cursor: inout ActivationCursor, shape: ActivationShape) {
        cursor.bind(embedded, "embedded")
        cursor.bind(embeddingMask, "embeddingMask")
        cursor.bind(transformed, "transformed")
        cursor.bind(activated, "activated")
        cursor.bind(cdf, "cdf")
        cursor.bind(gradient, "gradient")
        cursor.bind(scratch, "scratch")
        embeddingNorm.bind(&cursor)
        for block in blocks { block.bind(&cursor) }
        outputNorm.bind(&cursor)
        boundShape = shape
    }

    var activationBuffers: [FloatBuffer] {
        [embedded, embeddingMask, transformed, activated, cdf, gradient, scratch] + embeddingNorm.activationBuffers
            + blocks.flatMap(\.activationBuffers) + outputNorm.activationBuffers
    }

    /// inputs [B, T] ids (0 = padding, only after a row's items; the mask token allowed; T <= M).
    /// Returns h [B, T, D], valid until the next forward.
    package func forward(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int, training: Bool,
                        rng: inout SeededGenerator) -> UnsafeBufferPointer<Float> {
        if batch * steps > 0 {
            bindActivationsIfNeeded(ActivationShape(batch: batch, steps: steps, pass: training ? .training : .forward))
        }
        return encode(inputs: inputs, batch: batch, steps: steps, training: training, rng: &rng)
    }

    /// `forward` into the workspaces as bound.
    private func encode(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int, training: Bool,
                        rng: inout SeededGenerator) -> UnsafeBufferPointer<Float> {
        precondition(inputs.count == batch * steps, "inputs hold \(inputs.count) ids, expected batch \(batch) x steps \(steps)")
        precondition(steps <= maxLength, "rows of \(steps) steps exceed the \(maxLength) positions of the position table")
        let d = width, rows = batch * steps
        self.batch = batch
        self.steps = steps
        guard rows > 0 else { return UnsafeBufferPointer(start: embedded.pointer, count: 0) }
        if lastIds.count != rows {  // a new batch shape: the only allocations of a forward
            lastIds = [Int32](repeating: 0, count: rows)
            isItem = [Bool](repeating: false, count: rows)
        }
        let vocabulary = itemEmbedding.shape[0]
        embedded.resize(to: rows * d)
        for row in 0..<rows {
            let id = Int(inputs[row])
            precondition(id >= 0 && id < vocabulary, "item id \(id) at row \(row) is outside 0..<\(vocabulary)")
            lastIds[row] = inputs[row]
            isItem[row] = id != 0
            let out = embedded.pointer + row * d
            let item = itemEmbedding.value + id * d, position = positionEmbedding.value + (row % steps) * d
            for j in 0..<d { out[j] = item[j] + position[j] }
        }
        let normalized = embeddingNorm.forward(embedded.pointer, rows: rows)
        embedded.pointer.update(from: normalized, count: rows * d)
        dropoutActive = training && dropout > 0
        if dropoutActive {
            embeddingMask.resize(to: rows * d)
            Dropout.drawMask(into: embeddingMask.pointer, count: rows * d, probability: dropout, rng: &rng, applyingTo: embedded.pointer)
        }
        var x = UnsafePointer(embedded.pointer)
        isItem.withUnsafeBufferPointer { mask in
            guard let mask = mask.baseAddress else { return }
            x = TransformerBlock.forward(blocks, x, isItem: mask, batch: batch, steps: steps, training: training, rng: &rng,
                                         saving: &saved)
        }
        encoded = x
        transformed.resize(to: rows * d)
        activated.resize(to: rows * d)
        Linear.forward(x, rows: rows, weight: transformWeight, bias: transformBias, into: transformed.pointer)
        cdfSaved = training  // evaluation batches are far larger and need no backward
        if training {
            cdf.resize(to: rows * d)
            GELU.forward(transformed.pointer, into: activated.pointer, savingCDF: cdf.pointer, count: rows * d)
        } else {
            GELU.forward(transformed.pointer, into: activated.pointer, count: rows * d)
        }
        return UnsafeBufferPointer(start: outputNorm.forward(activated.pointer, rows: rows), count: rows * d)
    }

    /// dOutputs [B, T, D]: gradient of the loss w.r.t. forward's output. Adds into every
    /// parameter's gradient (the padding row of the item table gets none).
    package func backward(dOutputs: UnsafeBufferPointer<Float>) {
        let d = width, rows = batch * steps, count = rows * d
        precondition(dOutputs.count == count, "dOutputs hold \(dOutputs.count) values, expected [\(batch), \(steps), \(d)]")
        guard let dTop = dOutputs.baseAddress, let encoded, rows > 0 else { return }
        gradient.resize(to: count)
        scratch.resize(to: count)
        let (dx, branch) = (gradient.pointer, scratch.pointer)
        // dz = gelu'(z) * d(gelu(z)), then dx = dz W_o.
        branch.update(repeating: 0, count: count)
        outputNorm.backward(dOutput: dTop, addingInto: branch)
        if cdfSaved {
            GELU.backward(input: transformed.pointer, cdf: cdf.pointer, dOutput: branch, into: branch, count: count)
        } else {
            GELU.backward(input: transformed.pointer, dOutput: branch, into: branch, count: count)
        }
        dx.update(repeating: 0, count: count)
        Linear.backward(dOutput: branch, input: encoded, rows: rows, weight: transformWeight, bias: transformBias, addingInto: dx)
        TransformerBlock.backward(blocks, dx, saved: saved)
        if dropoutActive { BufferOps.multiply(count: count, by: embeddingMask.pointer, into: dx) }
        branch.update(repeating: 0, count: count)
        embeddingNorm.backward(dOutput: dx, addingInto: branch)
        for row in 0..<rows where isItem[row] {
            let dRow = UnsafePointer(branch + row * d)
            BufferOps.addRow(dRow, into: itemEmbedding.grad + Int(lastIds[row]) * d, count: d)
            BufferOps.addRow(dRow, into: positionEmbedding.grad + (row % steps) * d, count: d)
        }
    }

    /// h at a mask token appended after each row's items [B, D] (evaluation mode; replaces the
    /// last forward's state): `clozeQuery` rows, scored where the mask is.
    package func lastHidden(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int) -> [Float] {
        let query = Cloze.query(inputs: inputs, batch: batch, steps: steps, maxLength: maxLength, maskId: maskId)
        var unused = SeededGenerator(seed: 0)
        if batch * steps > 0 { bindActivationsIfNeeded(ActivationShape(batch: batch, steps: steps, pass: .evaluation)) }
        let h = query.inputs.withUnsafeBufferPointer {
            encode(inputs: $0, batch: batch, steps: query.steps, training: false, rng: &unused)
        }
        let d = width
        var last = [Float](repeating: 0, count: batch * d)
        for b in 0..<batch {
            let source = (b * query.steps + query.maskPositions[b]) * d
            for j in 0..<d { last[b * d + j] = h[source + j] }
        }
        return last
    }
}
