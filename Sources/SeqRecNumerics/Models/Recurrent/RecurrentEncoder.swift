// The sequence encoder: item embedding -> dropout -> N stacked recurrent layers with dropout
// between them (as torch.nn.LSTM's `dropout`) -> optional output dropout on the top layer's
// outputs (what the output layer sees; a Keras `Dropout` after the recurrent layer). Inputs are item ids [B, T] with 0 = padding;
// padded steps carry every layer's state (see RecurrentLayer). Internally everything is
// time-major [T, B, .] so that each step's rows are contiguous for the per-step sgemm; only
// the top outputs (and their gradient) are transposed to the public [B, T, H] layout.

public final class RecurrentEncoder: EncoderArena {
    public let cell: CellKind
    public let embedding: Embedding
    public let dropout: Float
    /// Dropout on the top layer's outputs, in training only.
    public let outputDropout: Float
    let layers: [RecurrentLayer]

    /// Injected dropout multipliers per site, used instead of random masks when training
    /// (nil: random). Site 0 is the embedding output [B, T, E]; site l (1..<layers) the
    /// output of layer l-1 [B, T, H]; site `layers`, when present, the top layer's output
    /// [B, T, H]. Values are the multipliers (0 or 1/(1-p)).
    let fixedDropoutMasks: [[Float]]?

    private var mask: [Bool] = []                     // [T, B]
    private let embedded = FloatBuffer()              // [T, B, E] after dropout
    private var dropoutMasks: [FloatBuffer] = []      // per site (layers + 1), [T, B, D]
    private var droppedInputs: [FloatBuffer] = []     // per layer >= 1: dropped layer input [T, B, H]
    private let droppedOutput = FloatBuffer()         // [T, B, H] top outputs after output dropout
    private let output = FloatBuffer()                // [B, T, H]
    private let gradientA = FloatBuffer()             // [T, B, max(E, H)] ping-pong gradients
    private let gradientB = FloatBuffer()
    private var lastIds: [Int32] = []                 // [B, T] of the last forward
    private var layerInputs: [UnsafePointer<Float>?]  // per layer >= 1: the dense input its last forward read
    private var orderedIds: [Int32] = []              // [B, T] evaluation forward: rows longest first
    private var runningRows: [Int] = []               // [T] evaluation forward: rows still running
    private let layerOutputs = [FloatBuffer(), FloatBuffer()]  // [T, B, H] evaluation forward below the top
    private var batch = 0
    private var steps = 0
    /// The shape the workspaces are bound for, and the arena of an encoder used on its own
    /// (a SequenceRecommender binds them into its arena instead).
    var boundShape: ActivationShape?
    var ownArena: ActivationArena?
    private var dropoutActive = false
    private var outputDropoutActive = false
    private var usesTableLookup = false
    /// False forces layer 0 to read a gathered [T, B, E] buffer (the path used under
    /// embedding dropout), so both input paths can be compared.
    let allowsTableLookup: Bool

    /// `fixedDropoutMasks` (see the property) replaces the random masks, e.g. with a
    /// reference implementation's; `allowsTableLookup: false` forces the gathered input path.
    public init(cell: CellKind, numItems: Int, embeddingSize: Int, hiddenSize: Int, layers: Int, dropout: Float,
                outputDropout: Float = 0, forgetBias: Float = 0, fixedDropoutMasks: [[Float]]? = nil,
                allowsTableLookup: Bool = true, rng: inout SeededGenerator) {
        precondition(layers >= 1, "an encoder needs at least one layer, got \(layers)")
        precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
        precondition(outputDropout >= 0 && outputDropout < 1, "output dropout must be in [0, 1), got \(outputDropout)")
        self.cell = cell
        self.dropout = dropout
        self.outputDropout = outputDropout
        self.fixedDropoutMasks = fixedDropoutMasks
        self.allowsTableLookup = allowsTableLookup
        embedding = Embedding(vocabularySize: numItems + 1, dimension: embeddingSize, rng: &rng)
        var stack: [RecurrentLayer] = []
        for index in 0..<layers {
            stack.append(RecurrentLayer(kind: cell, inputSize: index == 0 ? embeddingSize : hiddenSize,
                                        hiddenSize: hiddenSize, layerIndex: index, forgetBias: forgetBias, rng: &rng))
        }
        self.layers = stack
        layerInputs = [UnsafePointer<Float>?](repeating: nil, count: layers)
        dropoutMasks = (0...layers).map { _ in FloatBuffer() }
        droppedInputs = (0..<layers).map { _ in FloatBuffer() }
    }

    /// "embedding.weight", then per layer rnn.weight_ih_l{k}, rnn.weight_hh_l{k}, rnn.bias_ih_l{k}, rnn.bias_hh_l{k}.
    public var parameters: [Parameter] { [embedding.weight] + layers.flatMap(\.parameters) }

    public var hiddenSize: Int { layers[0].hiddenSize }

    /// The floats an encoder of these settings uses for `shape`, in `bind` order: the
    /// embedded input, the dropout masks and dropped copies, the top outputs, the ping-pong
    /// gradients, the evaluation's outputs below the top, then each layer's (RecurrentLayer).
    /// `dropout`, `outputDropout`: whether a training step draws those masks.
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, cell: CellKind, numItems: Int,
                                  embeddingSize e: Int, hiddenSize h: Int, layers: Int, shape: ActivationShape,
                                  dropout: Bool, outputDropout: Bool, allowsTableLookup: Bool = true) {
        guard let recurrentCell = cell.recurrentCell else { preconditionFailure("\(cell) is not a recurrent cell") }
        let (b, t, v) = (shape.batch, shape.steps, numItems + 1)
        let training = shape.pass != .evaluation  // a backward may follow
        let dropoutActive = shape.pass == .training && dropout, outputDropoutActive = shape.pass == .training && outputDropout
        let positions = Double(b) * Double(t)
        let usesLookup = allowsTableLookup && !dropoutActive && Double(v) < positions
        func add(_ name: String, _ include: Bool, _ width: Int) {
            layout.add("\(prefix()).\(name)", include ? positions * Double(width) : 0)
        }
        add("embedded", !usesLookup, e)                                      // [T, B, E]
        for site in 0...layers {                                             // [T, B, D]
            add("dropoutMasks.\(site)", site < layers ? dropoutActive : outputDropoutActive, site == 0 ? e : h)
        }
        for index in 0..<layers { add("droppedInputs.\(index)", index > 0 && dropoutActive, h) }  // [T, B, H]
        add("droppedOutput", outputDropoutActive, h)                         // [T, B, H]
        add("output", shape.pass != .evaluation, h)                          // [B, T, H]
        add("gradientA", training, max(e, h))                                // [T, B, max(E, H)]
        add("gradientB", training, max(e, h))
        for index in 0..<2 { add("layerOutputs.\(index)", shape.pass == .evaluation && layers >= index + 2, h) }  // [T, B, H]
        for index in 0..<layers {
            RecurrentLayer.activationRegions(
                into: &layout, prefix: "\(prefix()).layers.\(index)", cell: recurrentCell, hiddenSize: h, batch: b, steps: t,
                pass: shape.pass, lookup: index == 0 && usesLookup, tableRows: v)
        }
    }

    /// `activationRegions` for this encoder's settings.
    func activationRegions(into layout: inout ActivationLayout, prefix: String, shape: ActivationShape) {
        Self.activationRegions(
            into: &layout, prefix: prefix, cell: cell, numItems: embedding.vocabularySize - 1, embeddingSize: embedding.dimension,
            hiddenSize: hiddenSize, layers: layers.count, shape: shape, dropout: dropout > 0 || fixedDropoutMasks != nil,
            outputDropout: fixedDropoutMasks.map { $0.count > layers.count } ?? (outputDropout > 0),
            allowsTableLookup: allowsTableLookup)
    }

    /// Points the workspaces at `activationRegions`' regions for `shape` (in its order).
    func bindActivations(_ cursor: inout ActivationCursor, shape: ActivationShape) {
        cursor.bind(embedded, "embedded")
        for mask in dropoutMasks { cursor.bind(mask, "") }
        for dropped in droppedInputs { cursor.bind(dropped, "") }
        cursor.bind(droppedOutput, "droppedOutput")
        cursor.bind(output, "output")
        cursor.bind(gradientA, "gradientA")
        cursor.bind(gradientB, "gradientB")
        for buffer in layerOutputs { cursor.bind(buffer, "") }
        for layer in layers { layer.bind(&cursor) }
        boundShape = shape
    }

    /// Every workspace, in `bind` order (tests).
    var activationBuffers: [FloatBuffer] {
        [embedded] + dropoutMasks + droppedInputs + [droppedOutput, output, gradientA, gradientB] + layerOutputs
            + layers.flatMap(\.activationBuffers)
    }

    /// inputs: [B, T] item ids (0 = padding). Returns the top layer's outputs [B, T, H],
    /// valid until the next forward call.
    package func forward(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int, training: Bool, rng: inout SeededGenerator) -> UnsafeBufferPointer<Float> {
        precondition(inputs.count == batch * steps, "inputs hold \(inputs.count) ids, expected batch \(batch) x steps \(steps)")
        guard let ids = inputs.baseAddress, batch > 0, steps > 0 else {
            return UnsafeBufferPointer(start: output.pointer, count: 0)
        }
        self.batch = batch
        self.steps = steps
        bindActivationsIfNeeded(ActivationShape(batch: batch, steps: steps, pass: training ? .training : .forward))
        if lastIds.count != inputs.count { lastIds = [Int32](repeating: 0, count: inputs.count) }
        lastIds.withUnsafeMutableBufferPointer { $0.baseAddress?.update(from: ids, count: inputs.count) }
        dropoutActive = training && (dropout > 0 || fixedDropoutMasks != nil)
        outputDropoutActive = training && (fixedDropoutMasks.map { $0.count > layers.count } ?? (outputDropout > 0))
        if mask.count != batch * steps { mask = [Bool](repeating: false, count: batch * steps) }
        let vocabulary = embedding.vocabularySize
        for b in 0..<batch {
            for t in 0..<steps {
                let id = ids[b * steps + t]
                precondition(id >= 0 && Int(id) < vocabulary, "item id \(id) at [\(b), \(t)] is outside 0..<\(vocabulary)")
                mask[t * batch + b] = id != 0
            }
        }

        let e = embedding.dimension, h = hiddenSize
        // Without dropout on the embedding output, layer 0 reads the table directly when that
        // is cheaper (fewer table rows than positions); see LayerInput.
        usesTableLookup = allowsTableLookup && !dropoutActive && embedding.vocabularySize < batch * steps
        if !usesTableLookup {
            embedded.resize(to: steps * batch * e)
            embedding.gather(ids: ids, batch: batch, steps: steps, into: embedded.pointer)
            if dropoutActive { applyDropout(site: 0, width: e, probability: dropout, values: embedded.pointer, rng: &rng) }
        }

        var previous = UnsafePointer(embedded.pointer)  // the last layer's outputs [T, B, H]
        mask.withUnsafeBufferPointer { maskBuffer in
            guard let maskPointer = maskBuffer.baseAddress else { return }
            for (index, layer) in layers.enumerated() {
                if index == 0 {
                    withFirstLayerInput(ids: ids) { previous = layer.forward(input: $0, mask: maskPointer, batch: batch, steps: steps) }
                    continue
                }
                var input = previous
                if dropoutActive {
                    let dropped = droppedInputs[index]
                    dropped.resize(to: steps * batch * h)
                    dropped.pointer.update(from: previous, count: steps * batch * h)
                    applyDropout(site: index, width: h, probability: dropout, values: dropped.pointer, rng: &rng)
                    input = UnsafePointer(dropped.pointer)
                }
                layerInputs[index] = input
                previous = layer.forward(input: .dense(input), mask: maskPointer, batch: batch, steps: steps)
            }
        }
        var top = previous
        if outputDropoutActive {
            droppedOutput.resize(to: steps * batch * h)
            droppedOutput.pointer.update(from: top, count: steps * batch * h)
            applyDropout(site: layers.count, width: h, probability: outputDropout, values: droppedOutput.pointer, rng: &rng)
            top = UnsafePointer(droppedOutput.pointer)
        }
        output.resize(to: batch * steps * h)
        BufferOps.swapOuterAxes(outer: steps, inner: batch, width: h, source: top, destination: output.pointer)
        return UnsafeBufferPointer(start: output.pointer, count: batch * steps * h)
    }

    /// dOutputs: [B, T, H] gradient of the loss w.r.t. forward's outputs. Adds into every
    /// parameter's grad. Call at most once per forward (it consumes the layer workspaces).
    package func backward(dOutputs: UnsafeBufferPointer<Float>) {
        let h = hiddenSize, e = embedding.dimension
        precondition(dOutputs.count == batch * steps * h, "dOutputs hold \(dOutputs.count) values, expected [\(batch), \(steps), \(h)]")
        guard let dTop = dOutputs.baseAddress, batch > 0, steps > 0 else { return }
        let rows = steps * batch
        gradientA.resize(to: rows * max(e, h))
        gradientB.resize(to: rows * max(e, h))
        var dCurrent = gradientA.pointer, dBelow = gradientB.pointer
        BufferOps.swapOuterAxes(outer: batch, inner: steps, width: h, source: dTop, destination: dCurrent)
        if outputDropoutActive { BufferOps.multiply(count: rows * h, by: dropoutMasks[layers.count].pointer, into: dCurrent) }
        lastIds.withUnsafeBufferPointer { idBuffer in
            guard let ids = idBuffer.baseAddress else { return }
            mask.withUnsafeBufferPointer { maskBuffer in
                guard let maskPointer = maskBuffer.baseAddress else { return }
                for index in stride(from: layers.count - 1, through: 1, by: -1) {
                    let layer = layers[index]
                    guard let input = layerInputs[index] else { preconditionFailure("backward before a forward") }
                    layer.backward(input: .dense(input), mask: maskPointer, dOutputs: dCurrent, dInput: dBelow, tableGrad: nil)
                    if dropoutActive {
                        BufferOps.multiply(count: rows * layer.inputSize, by: dropoutMasks[index].pointer, into: dBelow)
                    }
                    swap(&dCurrent, &dBelow)
                }
                let first = layers[0]
                if usesTableLookup {
                    embedding.markRows(ids: ids, count: rows)  // the table product adds exact zeros elsewhere
                    withFirstLayerInput(ids: ids) {
                        first.backward(input: $0, mask: maskPointer, dOutputs: dCurrent, dInput: nil, tableGrad: embedding.weight.grad)
                    }
                } else {
                    first.backward(input: .dense(embedded.pointer), mask: maskPointer, dOutputs: dCurrent, dInput: dBelow, tableGrad: nil)
                    if dropoutActive { BufferOps.multiply(count: rows * e, by: dropoutMasks[0].pointer, into: dBelow) }
                    embedding.accumulateGradient(ids: ids, batch: batch, steps: steps, dOutput: dBelow)
                }
            }
        }
    }

    /// Runs `body` with layer 0's input: the embedding table (lookup) or the gathered [T, B, E] buffer.
    private func withFirstLayerInput(ids: UnsafePointer<Int32>, _ body: (LayerInput) -> Void) {
        guard usesTableLookup else { return body(.dense(embedded.pointer)) }
        body(.lookup(ids: ids, table: embedding.weight.value, rows: embedding.vocabularySize))
    }

    /// The top layer's state after the last non-padding step of each row: [B, H] (for
    /// evaluation scoring). An evaluation forward that keeps no activations: the rows run
    /// longest first, each step only over the rows that still have items (RecurrentLayer.
    /// inference), so a batch costs the sum of its rows' lengths, not B x T. A row's state is
    /// the one `forward` leaves after its last item (padded steps carry it). Replaces the
    /// last forward's workspaces.
    package func lastHidden(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int) -> [Float] {
        precondition(inputs.count == batch * steps, "inputs hold \(inputs.count) ids, expected batch \(batch) x steps \(steps)")
        let h = hiddenSize
        var last = [Float](repeating: 0, count: batch * h)
        guard batch > 0, steps > 0 else { return last }
        let vocabulary = embedding.vocabularySize
        // Row lengths (1 + the last item's step), then the rows longest first (ties in row order).
        var lengths = [Int](repeating: 0, count: batch)
        for b in 0..<batch {
            for t in 0..<steps {
                let id = inputs[b * steps + t]
                precondition(id >= 0 && Int(id) < vocabulary, "item id \(id) at [\(b), \(t)] is outside 0..<\(vocabulary)")
                if id != 0 { lengths[b] = t + 1 }
            }
        }
        bindActivationsIfNeeded(ActivationShape(batch: batch, steps: steps, pass: .evaluation))
        let order = (0..<batch).sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        orderedIds.removeAll(keepingCapacity: true)
        for b in order { orderedIds += inputs[(b * steps)..<((b + 1) * steps)] }
        runningRows.removeAll(keepingCapacity: true)
        var running = batch
        for t in 0..<steps {
            while running > 0 && lengths[order[running - 1]] <= t { running -= 1 }
            runningRows.append(running)
        }
        let usesLookup = allowsTableLookup && vocabulary < batch * steps
        orderedIds.withUnsafeBufferPointer { idBuffer in
            runningRows.withUnsafeBufferPointer { runningBuffer in
                guard let ids = idBuffer.baseAddress, let active = runningBuffer.baseAddress else { return }
                if !usesLookup {
                    embedded.resize(to: steps * batch * embedding.dimension)
                    embedding.gather(ids: ids, batch: batch, steps: steps, into: embedded.pointer)
                }
                var below = UnsafePointer(embedded.pointer)  // [T, B, D] the layer's dense input
                for (index, layer) in layers.enumerated() {
                    let input: LayerInput = index == 0 && usesLookup
                        ? .lookup(ids: ids, table: embedding.weight.value, rows: vocabulary) : .dense(below)
                    // Below the top, each layer's outputs feed the next one (zero where a row has ended).
                    var outputs: UnsafeMutablePointer<Float>?
                    if index < layers.count - 1 {
                        let buffer = layerOutputs[index % 2]
                        buffer.resize(to: steps * batch * h)
                        buffer.zero()
                        outputs = buffer.pointer
                    }
                    layer.inference(input: input, ids: ids, active: active, batch: batch, steps: steps, outputs: outputs)
                    if let outputs { below = UnsafePointer(outputs) }
                }
                let states = UnsafePointer(topLayer.inferenceStates)
                last.withUnsafeMutableBufferPointer { out in
                    guard let out = out.baseAddress else { return }
                    for (position, b) in order.enumerated() { (out + b * h).update(from: states + position * h, count: h) }
                }
            }
        }
        return last
    }

    /// While true (an evaluation pass, whose weights do not change), `lastHidden` projects the
    /// item table for the first layer once and reuses it across batches.
    package var keepsProjectedTable: Bool {
        get { layers[0].keepsProjectedTable }
        set { layers[0].keepsProjectedTable = newValue }
    }

    var keepsWeightDerivedWork: Bool {
        get { keepsProjectedTable }
        set { keepsProjectedTable = newValue }
    }

    private var topLayer: RecurrentLayer { layers[layers.count - 1] }

    /// values [T, B, width] *= the site's mask (random, or the injected one transposed from [B, T, width]).
    private func applyDropout(site: Int, width: Int, probability: Float, values: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        let count = steps * batch * width
        let maskBuffer = dropoutMasks[site]
        maskBuffer.resize(to: count)
        if let fixed = fixedDropoutMasks {
            precondition(site < fixed.count && fixed[site].count == count,
                         "fixed dropout mask \(site) must hold [\(batch), \(steps), \(width)] values")
            fixed[site].withUnsafeBufferPointer { source in
                guard let source = source.baseAddress else { return }
                BufferOps.swapOuterAxes(outer: batch, inner: steps, width: width, source: source, destination: maskBuffer.pointer)
            }
            BufferOps.multiply(count: count, by: maskBuffer.pointer, into: values)
        } else {
            Dropout.drawMask(into: maskBuffer.pointer, count: count, probability: probability, rng: &rng, applyingTo: values)
        }
    }
}
