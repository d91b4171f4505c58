// One SASRec block over the residual stream x [B, T, D] (the port's two placements):
//
//   pre  (norm_first):  x1 = x + MHA(LN_a(x)),        x2 = x1 + FFN(LN_f(x1))
//   post:               x1 = LN_a(x + MHA(x)),        x2 = LN_f(x1 + FFN(x1))
//
// Backward runs the same lines in reverse; every sub-layer's backward adds into the
// gradient of its input, so a residual's gradient is the stream's gradient plus the branch's.

final class TransformerBlock {
    let placement: LayerNormPlacement
    let attentionNorm: LayerNorm
    let attention: MultiHeadSelfAttention
    let feedForwardNorm: LayerNorm
    let feedForward: PointwiseFeedForward

    private let output = FloatBuffer()   // [R, D] x2 (pre); post: x1 + FFN(x1)
    private let sum = FloatBuffer()      // [R, D] post: x + MHA(x)
    private let scratch = FloatBuffer()  // [R, D] a branch's input gradient
    private var rows = 0

    /// What backward needs from a forward: the block's input and each branch's input, all
    /// valid until the next forward (the input is the caller's, the others the block's layers').
    struct Saved {
        var input: UnsafePointer<Float>
        var attentionInput: UnsafePointer<Float>    // LN_a(x) (pre); x (post)
        var feedForwardInput: UnsafePointer<Float>  // LN_f(x1) (pre); x1 (post)
    }

    /// Parameters "blocks.<index>.attention_norm.*", ".attention.*", ".feed_forward_norm.*",
    /// ".feed_forward.*"; random draws: the attention's, then the feed-forward's.
    /// The defaults are SASRec's block; BERT4Rec's is bidirectional with a GELU feed-forward
    /// of inner width 4D.
    init(index: Int, width: Int, heads: Int, dropout: Float, placement: LayerNormPlacement, causal: Bool = true,
         innerWidth: Int? = nil, activation: FeedForwardActivation = .relu, normEpsilon: Float = 1e-8,
         rng: inout SeededGenerator) {
        self.placement = placement
        attentionNorm = LayerNorm(name: "blocks.\(index).attention_norm", width: width, epsilon: normEpsilon)
        attention = MultiHeadSelfAttention(name: "blocks.\(index).attention", width: width, heads: heads, dropout: dropout,
                                           causal: causal, rng: &rng)
        feedForwardNorm = LayerNorm(name: "blocks.\(index).feed_forward_norm", width: width, epsilon: normEpsilon)
        feedForward = PointwiseFeedForward(name: "blocks.\(index).feed_forward", width: width, innerWidth: innerWidth,
                                           activation: activation, dropout: dropout, rng: &rng)
    }

    var parameters: [Parameter] {
        attentionNorm.parameters + attention.parameters + feedForwardNorm.parameters + feedForward.parameters
    }

    /// The floats one block uses for a [B, T] batch, in `bind` order: its own, then its
    /// layers'. `last`: an evaluation's top block, which runs `forwardLast` (B query rows).
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, width d: Int, heads: Int,
                                  innerWidth f: Int, activation: FeedForwardActivation, placement: LayerNormPlacement,
                                  dropout: Bool, batch b: Int, steps t: Int, pass: ActivationPass, last: Bool) {
        let rows = b * t, queryRows = last ? b : rows
        layout.add("\(prefix()).output", queryRows, d)                                   // [R, D]
        layout.add("\(prefix()).sum", placement == .post || last ? queryRows * d : 0)    // [R, D]
        layout.add("\(prefix()).scratch", pass != .evaluation ? rows * d : 0)              // [R, D]
        // Pre-LN normalizes every row before the attention, even under forwardLast.
        let attentionNormRows = placement == .pre ? rows : queryRows
        LayerNorm.activationRegions(into: &layout, prefix: "\(prefix()).attention_norm", width: d, rows: attentionNormRows)
        MultiHeadSelfAttention.activationRegions(into: &layout, prefix: "\(prefix()).attention", width: d, heads: heads,
                                                 dropout: dropout, batch: b, steps: t, pass: pass, last: last)
        LayerNorm.activationRegions(into: &layout, prefix: "\(prefix()).feed_forward_norm", width: d, rows: queryRows)
        PointwiseFeedForward.activationRegions(into: &layout, prefix: "\(prefix()).feed_forward", width: d, innerWidth: f,
                                               activation: activation, dropout: dropout, rows: queryRows, pass: pass)
    }

    /// `activationRegions` for this block's settings.
    func activationRegions(into layout: inout ActivationLayout, prefix: String, batch: Int, steps: Int, pass: ActivationPass,
                           last: Bool) {
        Self.activationRegions(into: &layout, prefix: prefix, width: attention.width, heads: attention.heads,
                               innerWidth: feedForward.innerWidth, activation: feedForward.activation, placement: placement,
                               dropout: attention.dropout > 0, batch: batch, steps: steps, pass: pass, last: last)
    }

    /// Points the workspaces at `activationRegions`' regions (in its order).
    func bind(_ cursor: inout ActivationCursor) {
        cursor.bind(output, "output")
        cursor.bind(sum, "sum")
        cursor.bind(scratch, "scratch")
        attentionNorm.bind(&cursor)
        attention.bind(&cursor)
        feedForwardNorm.bind(&cursor)
        feedForward.bind(&cursor)
    }

    var activationBuffers: [FloatBuffer] {
        [output, sum, scratch] + attentionNorm.activationBuffers + attention.activationBuffers
            + feedForwardNorm.activationBuffers + feedForward.activationBuffers
    }

    /// x [B, T, D] (must stay valid until backward) -> x2 [B, T, D], valid until the next
    /// forward, and what backward needs.
    func forward(_ x: UnsafePointer<Float>, isItem: UnsafePointer<Bool>, batch: Int, steps: Int,
                 training: Bool, rng: inout SeededGenerator) -> (output: UnsafePointer<Float>, saved: Saved) {
        let width = attention.width
        rows = batch * steps
        let count = rows * width
        output.resize(to: count)
        switch placement {
        case .pre:
            let normalized = attentionNorm.forward(x, rows: rows)
            let attended = attention.forward(normalized, isItem: isItem, batch: batch, steps: steps, training: training, rng: &rng)
            let x1 = output.pointer
            for i in 0..<count { x1[i] = x[i] + attended[i] }
            let fedInput = feedForwardNorm.forward(x1, rows: rows)
            let fed = feedForward.forward(fedInput, rows: rows, training: training, rng: &rng)
            for i in 0..<count { x1[i] += fed[i] }
            return (UnsafePointer(output.pointer), Saved(input: x, attentionInput: normalized, feedForwardInput: fedInput))
        case .post:
            sum.resize(to: count)
            let attended = attention.forward(x, isItem: isItem, batch: batch, steps: steps, training: training, rng: &rng)
            for i in 0..<count { sum.pointer[i] = x[i] + attended[i] }
            let x1 = attentionNorm.forward(sum.pointer, rows: rows)
            let fed = feedForward.forward(x1, rows: rows, training: training, rng: &rng)
            for i in 0..<count { output.pointer[i] = x1[i] + fed[i] }
            let x2 = feedForwardNorm.forward(output.pointer, rows: rows)
            return (x2, Saved(input: x, attentionInput: x, feedForwardInput: x1))
        }
    }

    /// Evaluation: x2 [B, D] at one query row per batch row only (`queryRows`, items): the
    /// attention reads every row's keys and values, and everything after it is per row, so
    /// it runs on the B query rows alone. Equal to forward's rows at `queryRows`.
    func forwardLast(_ x: UnsafePointer<Float>, queryRows: UnsafePointer<Int>, isItem: UnsafePointer<Bool>,
                     batch: Int, steps: Int) -> UnsafePointer<Float> {
        let width = attention.width
        var unused = SeededGenerator(seed: 0)
        rows = batch
        let count = batch * width
        output.resize(to: count)
        sum.resize(to: count)
        let x1 = output.pointer, residual = sum.pointer  // [B, D] x at the query rows
        for b in 0..<batch { BufferOps.copyRow(x + queryRows[b] * width, to: residual + b * width, count: width) }
        switch placement {
        case .pre:
            let normalized = attentionNorm.forward(x, rows: batch * steps)
            let attended = attention.forwardLast(normalized, queryRows: queryRows, isItem: isItem, batch: batch, steps: steps)
            for i in 0..<count { x1[i] = residual[i] + attended[i] }
            let fed = feedForward.forward(feedForwardNorm.forward(x1, rows: batch), rows: batch, training: false, rng: &unused)
            for i in 0..<count { x1[i] += fed[i] }
            return UnsafePointer(output.pointer)
        case .post:
            let attended = attention.forwardLast(x, queryRows: queryRows, isItem: isItem, batch: batch, steps: steps)
            for i in 0..<count { residual[i] += attended[i] }
            let normalized = attentionNorm.forward(residual, rows: batch)
            let fed = feedForward.forward(normalized, rows: batch, training: false, rng: &unused)
            for i in 0..<count { x1[i] = normalized[i] + fed[i] }
            return feedForwardNorm.forward(x1, rows: batch)
        }
    }

    /// dx [B, T, D]: on entry the gradient of forward's output, on return that of its input;
    /// `saved`: what that forward returned.
    func backward(_ dx: UnsafeMutablePointer<Float>, saved: Saved) {
        let count = rows * attention.width
        scratch.resize(to: count)
        let branch = scratch.pointer
        switch placement {
        case .pre:
            branch.update(repeating: 0, count: count)
            feedForward.backward(input: saved.feedForwardInput, dOutput: dx, addingInto: branch)
            feedForwardNorm.backward(dOutput: branch, addingInto: dx)
            branch.update(repeating: 0, count: count)
            attention.backward(input: saved.attentionInput, dOutput: dx, addingInto: branch)
            attentionNorm.backward(dOutput: branch, addingInto: dx)
        case .post:
            branch.update(repeating: 0, count: count)
            feedForwardNorm.backward(dOutput: dx, addingInto: branch)       // d(x1 + FFN(x1))
            dx.update(from: branch, count: count)
            feedForward.backward(input: saved.feedForwardInput, dOutput: branch, addingInto: dx)  // dx1
            branch.update(repeating: 0, count: count)
            attentionNorm.backward(dOutput: dx, addingInto: branch)         // d(x + MHA(x))
            dx.update(from: branch, count: count)
            attention.backward(input: saved.attentionInput, dOutput: branch, addingInto: dx)
        }
    }
}

extension TransformerBlock {
    /// x [B, T, D] through `blocks` in order -> the last block's output; `saved[i]` holds
    /// what block i's backward needs (the array grows on the first forward only).
    static func forward(_ blocks: [TransformerBlock], _ x: UnsafePointer<Float>, isItem: UnsafePointer<Bool>, batch: Int,
                        steps: Int, training: Bool, rng: inout SeededGenerator, saving saved: inout [Saved]) -> UnsafePointer<Float> {
        var x = x
        for (index, block) in blocks.enumerated() {
            let result = block.forward(x, isItem: isItem, batch: batch, steps: steps, training: training, rng: &rng)
            if saved.count == index { saved.append(result.saved) } else { saved[index] = result.saved }
            x = result.output
        }
        return x
    }

    /// dx [B, T, D]: the gradient of the last block's output in, of the first block's input out.
    static func backward(_ blocks: [TransformerBlock], _ dx: UnsafeMutablePointer<Float>, saved: [Saved]) {
        for index in blocks.indices.reversed() { blocks[index].backward(dx, saved: saved[index]) }
    }
}
