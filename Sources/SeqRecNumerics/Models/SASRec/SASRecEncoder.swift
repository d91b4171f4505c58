// The SASRec encoder (Kang & McAuley 2018, as the PyTorch port pmixer/SASRec.pytorch):
//
//     x0 = dropout(sqrt(D) * E[id] + P[pos])                       [B, T, D]
//     x  = block_L(... block_1(x0))                                (TransformerBlock, causal)
//     h  = LN_final(x)                                             [B, T, D]
//
// Inputs are item ids [B, T], rows left-aligned with padding (id 0) at the end. Positions
// are those of the port, which left-pads every row to max_length M: a row with n items puts
// item t (0-based) at position M - n + t + 1, so the last item is always at position M;
// padding is at position 0, whose row of P is zero and never trained (padding_idx = 0).
// Padding never reaches an item's output: attention masks padded keys (MultiHeadSelfAttention)
// and everything else is per row. Parameters: "item_embedding.weight" [V, D] (also the tied
// output), "position_embedding.weight" [M + 1, D], "blocks.<l>.*", "final_norm.*".

package final class SASRecEncoder: EncoderArena {
    let itemEmbedding: Parameter
    let positionEmbedding: Parameter
    let blocks: [TransformerBlock]
    let finalNorm: LayerNorm
    package let width: Int
    /// M: the longest row (positions 1...M).
    package let maxLength: Int
    package let dropout: Float

    private var isItem: [Bool] = []                 // [B, T]
    private var positions: [Int32] = []             // [B, T]
    private var lastIds: [Int32] = []               // [B, T]
    private var saved: [TransformerBlock.Saved] = []  // per block, what its backward needs
    private var queryRows: [Int] = []               // [B] evaluation: each row's last item's row in [B * T]
    private let embedded = FloatBuffer()            // [B, T, D] x0
    private let embeddingMask = FloatBuffer()       // [B, T, D]
    private let gradient = FloatBuffer()            // [B, T, D] the stream's gradient
    private var batch = 0
    private var steps = 0
    private var dropoutActive = false
    /// The shape the workspaces are bound for, and the arena of an encoder used on its own.
    var boundShape: ActivationShape?
    var ownArena: ActivationArena?

    /// Random draws (the port's xavier_normal_ of every weight of rank >= 2): the item table,
    /// the position table (row 0 of each then zeroed), then each block's.
    package init(numItems: Int, width: Int, maxLength: Int, blocks: Int, heads: Int, dropout: Float,
                placement: LayerNormPlacement, rng: inout SeededGenerator) {
        precondition(blocks >= 1 && maxLength >= 1, "an encoder needs >= 1 block and max length >= 1")
        precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
        self.width = width
        self.maxLength = maxLength
        self.dropout = dropout
        var items = Linear.xavierNormal(rows: numItems + 1, columns: width, rng: &rng)
        var positionValues = Linear.xavierNormal(rows: maxLength + 1, columns: width, rng: &rng)
        for j in 0..<width { items[j] = 0; positionValues[j] = 0 }
        itemEmbedding = Parameter(name: "item_embedding.weight", shape: [numItems + 1, width], values: items)
        positionEmbedding = Parameter(name: "position_embedding.weight", shape: [maxLength + 1, width], values: positionValues)
        self.blocks = (0..<blocks).map {
            TransformerBlock(index: $0, width: width, heads: heads, dropout: dropout, placement: placement, rng: &rng)
        }
        finalNorm = LayerNorm(name: "final_norm", width: width)
    }

    package var parameters: [Parameter] {
        [itemEmbedding, positionEmbedding] + blocks.flatMap(\.parameters) + finalNorm.parameters
    }

    /// The floats an encoder of these settings uses for `shape`, in `bind` order: x0, its
    /// dropout mask, the stream's gradient, each block's, the final norm's. An evaluation
    /// runs groups of at most `evaluationGroupRows` rows, its top block on each row's last
    /// query only (lastHidden).
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, width d: Int, blocks: Int,
                                  heads: Int, placement: LayerNormPlacement, dropout: Bool, shape: ActivationShape) {
        let evaluation = shape.pass == .evaluation, training = shape.pass == .training
        let b = evaluation ? min(shape.batch, evaluationGroupRows) : shape.batch, t = shape.steps
        let rows = Double(b) * Double(t) * Double(d)
        layout.add("\(prefix()).embedded", rows)                            // [B, T, D]
        layout.add("\(prefix()).embeddingMask", training && dropout ? rows : 0)
        layout.add("\(prefix()).gradient", evaluation ? 0 : rows)
        for index in 0..<blocks {
            TransformerBlock.activationRegions(
                into: &layout, prefix: "\(prefix()).blocks.\(index)", width: d, heads: heads, innerWidth: d, activation: .relu,
                placement: placement, dropout: dropout, batch: b, steps: t, pass: shape.pass,
                last: evaluation && index == blocks - 1)
        }
        LayerNorm.activationRegions(into: &layout, prefix: "\(prefix()).final_norm", width: d, rows: evaluation ? b : b * t)
    }

    func activationRegions(into layout: inout ActivationLayout, prefix: String, shape: ActivationShape) {
        Self.activationRegions(into: &layout, prefix: prefix, width: width, blocks: blocks.count,
                               heads: blocks[0].attention.heads, placement: blocks[0].placement, dropout: dropout > 0,
                               shape: shape)
    }

    func bindActivations(_ cursor: inout ActivationCursor, shape: ActivationShape) {
        cursor.bind(embedded, "embedded")
        cursor.bind(embeddingMask, "embeddingMask")
        cursor.bind(gradient, "gradient")
        for block in blocks { block.bind(&cursor) }
        finalNorm.bind(&cursor)
        boundShape = shape
    }

    var activationBuffers: [FloatBuffer] {
        [embedded, embeddingMask, gradient] + blocks.flatMap(\.activationBuffers) + finalNorm.activationBuffers
    }

    /// inputs [B, T] item ids (0 = padding, only after a row's items; T <= M). Returns h
    /// [B, T, D], valid until the next forward.
    package func forward(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int, training: Bool,
                        rng: inout SeededGenerator) -> UnsafeBufferPointer<Float> {
        precondition(inputs.count == batch * steps, "inputs hold \(inputs.count) ids, expected batch \(batch) x steps \(steps)")
        precondition(steps <= maxLength, "rows of \(steps) steps exceed the \(maxLength) positions of the position table")
        let d = width, rows = batch * steps
        self.batch = batch
        self.steps = steps
        guard rows > 0 else { return UnsafeBufferPointer(start: embedded.pointer, count: 0) }
        bindActivationsIfNeeded(ActivationShape(batch: batch, steps: steps, pass: training ? .training : .forward))
        embed(inputs, batch: batch, steps: steps)
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
        return UnsafeBufferPointer(start: finalNorm.forward(x, rows: rows), count: rows * d)
    }

    /// dOutputs [B, T, D]: gradient of the loss w.r.t. forward's output. Adds into every
    /// parameter's gradient (the padding rows of both tables get none).
    package func backward(dOutputs: UnsafeBufferPointer<Float>) {
        let d = width, rows = batch * steps
        precondition(dOutputs.count == rows * d, "dOutputs hold \(dOutputs.count) values, expected [\(batch), \(steps), \(d)]")
        guard let dTop = dOutputs.baseAddress, rows > 0 else { return }
        gradient.resize(to: rows * d)
        gradient.zero()
        let dx = gradient.pointer
        finalNorm.backward(dOutput: dTop, addingInto: dx)
        TransformerBlock.backward(blocks, dx, saved: saved)
        if dropoutActive { BufferOps.multiply(count: rows * d, by: embeddingMask.pointer, into: dx) }
        let scale = Float(d).squareRoot()
        for row in 0..<rows where isItem[row] {
            let dRow = UnsafePointer(dx + row * d)
            BufferOps.axpy(count: d, alpha: scale, x: dRow, y: itemEmbedding.grad + Int(lastIds[row]) * d)
            BufferOps.addRow(dRow, into: positionEmbedding.grad + Int(positions[row]) * d, count: d)
        }
    }

    /// Rows per group of the evaluation forward (see lastHidden).
    static let evaluationGroupRows = 64

    /// h at each row's last item [B, D] (evaluation mode; replaces the last forward's state).
    /// A row without items gets its last position's output. Rows run longest first in groups
    /// of `evaluationGroupRows`, each group cut to its longest row's steps: a row's items never
    /// attend to the padding after them, so the padding beyond a group's rows is never computed.
    /// The blocks below the top run as in `forward`; the top block and the final norm only for
    /// each row's last query (TransformerBlock.forwardLast): after the top block's keys and
    /// values everything is per row, so this is forward's output at those rows.
    package func lastHidden(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int) -> [Float] {
        precondition(inputs.count == batch * steps, "inputs hold \(inputs.count) ids, expected batch \(batch) x steps \(steps)")
        precondition(steps <= maxLength, "rows of \(steps) steps exceed the \(maxLength) positions of the position table")
        let d = width
        var last = [Float](repeating: 0, count: batch * d)
        guard batch > 0, steps > 0 else { return last }
        bindActivationsIfNeeded(ActivationShape(batch: batch, steps: steps, pass: .evaluation))
        // The steps each row needs: through its last item (all of them for a row without items).
        let needed = (0..<batch).map { b in ((0..<steps).last { inputs[b * steps + $0] != 0 } ?? steps - 1) + 1 }
        let order = (0..<batch).sorted { needed[$0] > needed[$1] || (needed[$0] == needed[$1] && $0 < $1) }
        var start = 0
        while start < batch {
            let group = Array(order[start..<min(start + Self.evaluationGroupRows, batch)])
            let groupSteps = needed[group[0]]
            var ids = [Int32](repeating: 0, count: group.count * groupSteps)
            for (row, b) in group.enumerated() {
                for t in 0..<groupSteps { ids[row * groupSteps + t] = inputs[b * steps + t] }
            }
            let hidden = ids.withUnsafeBufferPointer { lastHidden(group: $0, batch: group.count, steps: groupSteps) }
            for (row, b) in group.enumerated() {
                for j in 0..<d { last[b * d + j] = hidden[row * d + j] }
            }
            start += group.count
        }
        return last
    }

    /// lastHidden of rows whose last items all fall in the last step or before.
    private func lastHidden(group inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int) -> [Float] {
        let d = width
        var last = [Float](repeating: 0, count: batch * d)
        guard let top = blocks.last else { return last }
        self.batch = batch
        self.steps = steps
        dropoutActive = false
        embed(inputs, batch: batch, steps: steps)
        queryRows = (0..<batch).map { b in b * steps + ((0..<steps).last { isItem[b * steps + $0] } ?? steps - 1) }
        var unused = SeededGenerator(seed: 0)
        var x = UnsafePointer(embedded.pointer)
        isItem.withUnsafeBufferPointer { maskBuffer in
            queryRows.withUnsafeBufferPointer { queryBuffer in
                guard let mask = maskBuffer.baseAddress, let queries = queryBuffer.baseAddress else { return }
                for block in blocks.dropLast() {
                    x = block.forward(x, isItem: mask, batch: batch, steps: steps, training: false, rng: &unused).output
                }
                let stream = top.forwardLast(x, queryRows: queries, isItem: mask, batch: batch, steps: steps)
                let h = finalNorm.forward(stream, rows: batch)
                last.withUnsafeMutableBufferPointer { $0.baseAddress?.update(from: h, count: batch * d) }
            }
        }
        return last
    }

    /// The item flags, positions and x0 [B, T, D] = sqrt(D) E[id] + P[pos] (before dropout) of
    /// `inputs`; allocates only for a new batch shape.
    private func embed(_ inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int) {
        let d = width, rows = batch * steps
        if lastIds.count != rows {  // a new batch shape: the only allocations of a forward
            lastIds = [Int32](repeating: 0, count: rows)
            isItem = [Bool](repeating: false, count: rows)
            positions = [Int32](repeating: 0, count: rows)
        }
        for row in 0..<rows {
            lastIds[row] = inputs[row]
            isItem[row] = inputs[row] != 0
            positions[row] = 0
        }
        let vocabulary = itemEmbedding.shape[0]
        for b in 0..<batch {
            let count = (0..<steps).last { isItem[b * steps + $0] }.map { $0 + 1 } ?? 0
            for t in 0..<count where isItem[b * steps + t] { positions[b * steps + t] = Int32(maxLength - count + t + 1) }
        }
        embedded.resize(to: rows * d)
        let scale = Float(d).squareRoot()
        for row in 0..<rows {
            let id = Int(lastIds[row])
            precondition(id >= 0 && id < vocabulary, "item id \(id) at row \(row) is outside 0..<\(vocabulary)")
            let out = embedded.pointer + row * d
            let item = itemEmbedding.value + id * d, position = positionEmbedding.value + Int(positions[row]) * d
            for j in 0..<d { out[j] = scale * item[j] + position[j] }
        }
    }
}
