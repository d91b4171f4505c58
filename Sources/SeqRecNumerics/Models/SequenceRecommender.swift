// The trainable sequence recommender: an encoder (SequenceEncoder, built by its family's
//   ModelFamily: lstm, gru, rnn in Models/Recurrent, sasrec in Models/SASRec) -> one head,
//   over an output layer of V = numItems + 1 classes: SoftmaxOutputLayer (output.weight,
//   output.bias), or the same layer tied to the encoder's item table (no bias) when the
//   encoder offers one (`tiedOutputTable`):
//     next-item + cross-entropy     -> SoftmaxOutputLayer (full softmax over V)
//     next-item + sampled-softmax   -> SampledSoftmax (the output layer, S shared negatives)
//     next-item + bce               -> GeneralizedBinaryCrossEntropy (the output layer, one negative per target)
//     next-item + gbce              -> GeneralizedBinaryCrossEntropy (the output layer, k negatives per target, β)
//     rating (loss mse)             -> RatingHead (families whose descriptor lists task rating)
// Parameters: the encoder's ("embedding.weight", "rnn.*"; or "item_embedding.weight", ...),
// then the head's ("output.*" or "rating.*"; none for the tied output), named as in the
// equivalent PyTorch module.

public final class SequenceRecommender {
    public let task: TaskKind
    public let loss: LossKind
    public let numItems: Int
    let encoder: any SequenceEncoder
    let head: Head
    /// Every parameter's values and gradient (encoder's, then head's, in `parameters` order).
    public let arena: ParameterArena
    private let dHidden = FloatBuffer()  // [B * T, H] gradient of the loss w.r.t. the encoder outputs
    /// One allocation for every layer's workspaces (ActivationLayout); `layouts` keeps each
    /// batch shape's, so that a shape met again is bound without building it again.
    let activations = ActivationArena()
    private var layouts: [ActivationShape: ActivationLayout] = [:]
    private var boundShape: ActivationShape?
    private let scoreBuffer = FloatBuffer()  // [B, V] evaluation scores (withScores), reused per batch
    /// What `init` was given besides the generator, so that `makeReplica` can rebuild the model.
    private let modelSpec: ModelSpec
    private let negatives: Int
    private let gbceT: Double
    private let sampling: SamplingStrategy
    private let itemCounts: [Int]
    private let maxLength: Int
    /// Whether the item tables track touched rows (`training.sparse_gradients`).
    package let sparseGradients: Bool

    enum Head {
        case fullSoftmax(SoftmaxOutputLayer)
        case sampledSoftmax(SampledSoftmax)
        /// bce and gbce: binary cross-entropy over negatives drawn per target.
        case binaryCrossEntropy(GeneralizedBinaryCrossEntropy)
        case rating(RatingHead)

        /// The layer every next-item head trains and evaluation scores with; nil for rating.
        var nextItemOutput: SoftmaxOutputLayer? {
            switch self {
            case .fullSoftmax(let output): output
            case .sampledSoftmax(let sampled): sampled.output
            case .binaryCrossEntropy(let bce): bce.output
            case .rating: nil
            }
        }
    }

    /// `spec.cell` must have a trainable family (ModelFamilies; pop/markov are
    /// PopularityModel/MarkovModel), train `task` (its descriptor's `tasks`) and allow
    /// `sparseGradients` (`checkCompatible(cell:task:loss:)`), and `loss.canTrain(task)`:
    /// next-item trains a softmax head (full or sampled) or the (g)BCE head, rating the MSE
    /// rating head. `maxLength` is split.max_length (a position table's rows).
    /// `negatives` (sampled-softmax: shared per batch; bce, gbce: per target), `gbceT` (gbce's
    /// calibration t), `sampling` and `itemCounts` ([numItems + 1], indexed by item id; may be
    /// empty for uniform sampling) matter only for the losses that draw negatives. Random
    /// draws: the encoder's weights, then the untied output layer's (none when tied).
    /// `sparseGradients` turns on row tracking (`training.sparse_gradients`) for the
    /// item tables: the input embedding, the rating head's item embedding, and under
    /// sampled-softmax, bce or gbce the output weight and bias.
    public init(spec: ModelSpec, task: TaskKind, loss: LossKind, numItems: Int, negatives: Int, gbceT: Double = TrainingSpec().gbceT,
                sampling: SamplingStrategy, itemCounts: [Int], sparseGradients: Bool = false, maxLength: Int = 0,
                rng: inout SeededGenerator) {
        guard let family = ModelFamilies.family(for: spec.cell) else {
            preconditionFailure("SequenceRecommender needs a cell of a trainable family, got \(spec.cell.rawValue)")
        }
        self.task = task
        self.loss = loss
        self.numItems = numItems
        self.modelSpec = spec
        self.negatives = negatives
        self.gbceT = gbceT
        self.sampling = sampling
        self.itemCounts = itemCounts
        self.sparseGradients = sparseGradients
        self.maxLength = maxLength
        let classes = numItems + 1
        precondition(loss.canTrain(task), "\(ModelConfigurationError(task: task, loss: loss))")
        precondition(family.descriptor.tasks.contains(task) && (family.descriptor.allowsSparseGradients || !sparseGradients),
                     "cell \(spec.cell.rawValue) trains tasks \(family.descriptor.tasks.map(\.rawValue)), sparse gradients: \(family.descriptor.allowsSparseGradients)")
        encoder = family.makeEncoder(spec, numItems: numItems, maxLength: maxLength, rng: &rng)
        let tiedTable = encoder.tiedOutputTable  // the item table the output layer scores with, if tied
        let tiedBias = encoder.tiedOutputBias
        func outputLayer(_ rng: inout SeededGenerator) -> SoftmaxOutputLayer {
            tiedTable.map { SoftmaxOutputLayer(tiedTo: $0, classes: classes, bias: tiedBias) } ?? SoftmaxOutputLayer(classes: classes, inputSize: spec.hiddenSize, rng: &rng)
        }
        // The loss alone names the head (mse is the rating task's and only its).
        switch loss {
        case .mse:
            head = .rating(RatingHead(classes: classes, hiddenSize: spec.hiddenSize, embeddingSize: spec.embeddingSize, rng: &rng))
        case .crossEntropy:
            head = .fullSoftmax(outputLayer(&rng))
        case .sampledSoftmax:
            let output = outputLayer(&rng)
            let sampler = NegativeSampler(numItems: numItems, strategy: sampling, itemCounts: itemCounts)
            head = .sampledSoftmax(SampledSoftmax(output: output, negatives: negatives, sampler: sampler))
        case .binaryCrossEntropy:
            let output = outputLayer(&rng)
            let sampler = NegativeSampler(numItems: numItems, strategy: sampling, itemCounts: itemCounts)
            head = .binaryCrossEntropy(GeneralizedBinaryCrossEntropy(output: output, sampler: sampler, form: .bce))
        case .generalizedBinaryCrossEntropy:
            let output = outputLayer(&rng)
            let sampler = NegativeSampler(numItems: numItems, strategy: sampling, itemCounts: itemCounts)
            let form = GeneralizedBinaryCrossEntropy.Form.gbce(negatives: negatives, items: numItems, t: gbceT)
            head = .binaryCrossEntropy(GeneralizedBinaryCrossEntropy(output: output, sampler: sampler, form: form))
        }
        if sparseGradients { Self.rowSparseParameters(encoder: encoder, head: head).forEach { $0.enableRowTracking() } }
        arena = ParameterArena(Self.parameters(encoder: encoder, head: head))
    }

    /// The item tables whose rows a step can touch selectively (the full softmax's output
    /// layer is not one: every class gets gradient).
    var rowSparseParameters: [Parameter] { Self.rowSparseParameters(encoder: encoder, head: head) }

    private static func rowSparseParameters(encoder: any SequenceEncoder, head: Head) -> [Parameter] {
        switch head {
        case .fullSoftmax(let output): output.isTied ? [] : [encoder.itemTable]
        case .sampledSoftmax(let sampled): [encoder.itemTable] + sampled.output.parameters
        case .binaryCrossEntropy(let bce): [encoder.itemTable] + bce.output.parameters
        case .rating(let rating): [encoder.itemTable, rating.itemEmbedding]
        }
    }

    /// The (task, loss) pairs `init` accepts (`LossKind.canTrain`); callers building a spec
    /// by hand check this first instead of hitting init's precondition.
    package static func checkCompatible(task: TaskKind, loss: LossKind) throws(ModelConfigurationError) {
        guard loss.canTrain(task) else { throw ModelConfigurationError(task: task, loss: loss) }
    }

    /// The (cell, task, loss) triples `init` accepts (`LossKind.canTrain(_:cell:)`): the
    /// cell's family trains the task (`ModelFamilyDescriptor.tasks`), with any of its losses.
    package static func checkCompatible(cell: CellKind, task: TaskKind, loss: LossKind) throws(ModelConfigurationError) {
        try checkCompatible(task: task, loss: loss)
        if !loss.canTrain(task, cell: cell) {
            throw ModelConfigurationError(task: task, loss: loss, cell: cell)
        }
    }

    private static func parameters(encoder: any SequenceEncoder, head: Head) -> [Parameter] {
        switch head {
        case .fullSoftmax(let output): encoder.parameters + output.parameters
        case .sampledSoftmax(let sampled): encoder.parameters + sampled.output.parameters
        case .binaryCrossEntropy(let bce): encoder.parameters + bce.output.parameters
        case .rating(let rating): encoder.parameters + rating.parameters
        }
    }

    // MARK: Activations

    /// The floats one model of these settings uses for `shape`, in bind order: the encoder's
    /// (its family's `encoderActivationRegions`), the head's, the encoders' output gradient.
    /// The memory estimate (ModelSize.workspaceFloats) is this layout's total.
    package static func activationLayout(spec: ModelSpec, loss: LossKind, numItems: Int, negatives: Int, maxLength: Int,
                                         shape: ActivationShape, recordsRegions: Bool = true) -> ActivationLayout {
        var layout = ActivationLayout(recordsRegions: recordsRegions)
        guard let family = ModelFamilies.family(for: spec.cell) else { return layout }
        family.encoderActivationRegions(spec, numItems: numItems, maxLength: maxLength, shape: shape, into: &layout)
        appendHeadRegions(into: &layout, loss: loss, classes: numItems + 1, hiddenSize: spec.hiddenSize,
                          negatives: negatives, shape: shape)
        return layout
    }

    /// The head's regions and dHidden [B * T, H]: a training step's only. A step has at most
    /// B * T targets; every one of them is gathered.
    private static func appendHeadRegions(into layout: inout ActivationLayout, loss: LossKind, classes: Int, hiddenSize h: Int,
                                          negatives: Int, shape: ActivationShape) {
        let rows = shape.pass == .training ? shape.batch * shape.steps : 0
        switch loss {
        case .crossEntropy:
            SoftmaxOutputLayer.activationRegions(into: &layout, prefix: "head", classes: classes, inputSize: h, rows: rows)
        case .sampledSoftmax:
            SampledSoftmax.activationRegions(into: &layout, prefix: "head", inputSize: h, negatives: rows > 0 ? negatives : 0,
                                             rows: rows)
        case .binaryCrossEntropy, .generalizedBinaryCrossEntropy, .mse:
            break  // one dot product per target and negative: no float workspace
        }
        layout.add("dHidden", rows, h)
    }

    /// This model's layout for `shape` (the encoder's own settings, which tests may set apart
    /// from a spec: fixed dropout masks, the gathered input path).
    private func activationLayout(_ shape: ActivationShape) -> ActivationLayout {
        var layout = ActivationLayout()
        encoder.activationRegions(into: &layout, prefix: "encoder", shape: shape)
        Self.appendHeadRegions(into: &layout, loss: loss, classes: numItems + 1, hiddenSize: encoder.hiddenSize,
                               negatives: negatives, shape: shape)
        return layout
    }

    /// Points every layer's workspaces at their regions of `activations` for `shape`, unless
    /// they already are (the arena allocates only for a layout larger than any before).
    private func bindActivations(_ shape: ActivationShape) {
        guard boundShape != shape else { return }
        let layout = layouts[shape] ?? activationLayout(shape)
        layouts[shape] = layout
        var cursor = activations.cursor(for: layout)
        encoder.bindActivations(&cursor, shape: shape)
        switch head {
        case .fullSoftmax(let output): output.bind(&cursor)
        case .sampledSoftmax(let sampled): sampled.bind(&cursor)
        case .binaryCrossEntropy, .rating: break
        }
        cursor.bind(dHidden, "dHidden")
        cursor.finish()
        boundShape = shape
    }

    /// Every workspace bound to `activations` (tests).
    var activationBuffers: [FloatBuffer] {
        let headBuffers: [FloatBuffer] = switch head {
        case .fullSoftmax(let output): output.activationBuffers
        case .sampledSoftmax(let sampled): sampled.activationBuffers
        case .binaryCrossEntropy, .rating: []
        }
        return encoder.activationBuffers + headBuffers + [dHidden]
    }

    /// Whether the encoder allocated workspaces outside `activations` (tests: never).
    var encoderHasOwnArena: Bool { encoder.hasOwnArena }

    /// Encoder's ("embedding.weight", "rnn.*"), then the head's, as in the PyTorch module.
    public var parameters: [Parameter] { arena.parameters }

    public var parameterCount: Int { arena.parameterCount }

    /// A model of the same shape with its own parameters, gradients and workspaces, and a copy
    /// of this one's values (data-parallel training runs one replica per worker thread).
    package func makeReplica() -> SequenceRecommender {
        var unused = SeededGenerator(seed: 0)
        let replica = SequenceRecommender(spec: modelSpec, task: task, loss: loss, numItems: numItems, negatives: negatives, gbceT: gbceT,
                                          sampling: sampling, itemCounts: itemCounts, sparseGradients: sparseGradients,
                                          maxLength: maxLength, rng: &unused)
        replica.arena.values.update(from: arena.values, count: arena.count)
        return replica
    }

    /// Forward + loss + backward for one batch; grads are ADDED (the trainer zeroes them).
    /// Returns the mean loss over the batch's targets and their count (0, 0 without targets).
    /// `rng` drives dropout and, for sampled-softmax, bce and gbce, the negatives (drawn after
    /// the encoder's dropout masks).
    public func trainBatch(_ batch: SequenceBatch, rng: inout SeededGenerator) -> (loss: Double, targets: Int) {
        trainBatch(batch, negatives: nil, rng: &rng)
    }

    /// `trainBatch` with the head's negatives given instead of drawn (tests against fixtures):
    /// for sampled-softmax the S shared negatives, for bce and gbce k per target in row order
    /// ([N, k]); nil draws them. Dropout still draws from `rng`.
    func trainBatch(_ batch: SequenceBatch, negatives: [Int32]?, rng: inout SeededGenerator) -> (loss: Double, targets: Int) {
        let batch = encoder.trainingBatch(batch, rng: &rng)
        let rows = batch.batchSize * batch.steps
        let h = encoder.hiddenSize
        bindActivations(ActivationShape(batch: batch.batchSize, steps: batch.steps, pass: .training))
        let outputs = batch.inputs.withUnsafeBufferPointer {
            encoder.forward(inputs: $0, batch: batch.batchSize, steps: batch.steps, training: true, rng: &rng)
        }
        guard let hidden = outputs.baseAddress, rows > 0 else { return (0, 0) }
        dHidden.resize(to: rows * h)
        dHidden.zero()
        let d = dHidden.pointer
        let result = batch.targets.withUnsafeBufferPointer { targets -> (loss: Double, targets: Int) in
            switch head {
            case .fullSoftmax(let output):
                return output.lossAndBackward(hidden: hidden, targets: targets, dHidden: d)
            case .sampledSoftmax(let sampled):
                guard let negatives else { return sampled.lossAndBackward(hidden: hidden, targets: targets, dHidden: d, rng: &rng) }
                return sampled.lossAndBackward(hidden: hidden, targets: targets, dHidden: d, negatives: negatives)
            case .binaryCrossEntropy(let bce):
                guard let negatives else { return bce.lossAndBackward(hidden: hidden, targets: targets, dHidden: d, rng: &rng) }
                return bce.lossAndBackward(hidden: hidden, targets: targets, dHidden: d, negatives: negatives)
            case .rating(let rating):
                return batch.ratings.withUnsafeBufferPointer {
                    rating.lossAndBackward(hidden: hidden, targets: targets, ratings: $0, dHidden: d)
                }
            }
        }
        if result.targets > 0 { encoder.backward(dOutputs: UnsafeBufferPointer(dHidden.buffer)) }
        return result
    }

    /// The encoder's output after each row's last non-padding input, [B, H] (evaluation mode).
    public func lastHidden(_ batch: SequenceBatch) -> [Float] {
        bindActivations(ActivationShape(batch: batch.batchSize, steps: batch.steps, pass: .evaluation))
        return batch.inputs.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: batch.batchSize, steps: batch.steps) }
    }

    /// Next-item scores after the last non-padding input of each row: [B, V] row-major
    /// (column 0 = padding), the full catalogue whatever the training loss.
    public func scoreNext(_ batch: SequenceBatch) -> [Float] {
        let last = lastHidden(batch)
        guard let output = head.nextItemOutput else {
            preconditionFailure("scoreNext needs a next-item model; this one was built for task rating")
        }
        return output.scores(hidden: last)
    }

    /// Runs `body`, one evaluation pass, with the weights fixed: the recurrent encoder projects
    /// its item table once for all the pass's batches instead of once per batch.
    public func withFixedWeights<Result>(_ body: () -> Result) -> Result {
        encoder.keepsWeightDerivedWork = true
        defer { encoder.keepsWeightDerivedWork = false }
        return body()
    }

    /// `scoreNext(batch)` without a new array per batch: `body` reads the [B, V] scores from a
    /// buffer the model keeps for the next batch (valid only inside `body`).
    package func withScores<Result>(_ batch: SequenceBatch, _ body: (UnsafeBufferPointer<Float>) -> Result) -> Result {
        guard let output = head.nextItemOutput else {
            preconditionFailure("scoreNext needs a next-item model; this one was built for task rating")
        }
        let last = lastHidden(batch)
        let count = batch.batchSize * output.classes
        scoreBuffer.resize(to: count)
        last.withUnsafeBufferPointer { hidden in
            if let base = hidden.baseAddress { output.scores(hidden: base, rows: batch.batchSize, into: scoreBuffer.pointer) }
        }
        return body(UnsafeBufferPointer(start: scoreBuffer.pointer, count: count))
    }

    /// The scores of each row's `candidates` only, flat (sampled evaluation): the same encoder
    /// pass, then one dot product per candidate instead of the [B, H] x [H, V] product.
    public func scoreNext(_ batch: SequenceBatch, candidates: CandidateLists) -> [Float] {
        precondition(candidates.rows == batch.batchSize, "\(candidates.rows) candidate lists for \(batch.batchSize) rows")
        let last = lastHidden(batch)
        guard let output = head.nextItemOutput else {
            preconditionFailure("scoreNext needs a next-item model; this one was built for task rating")
        }
        return last.withUnsafeBufferPointer { hidden in
            guard let base = hidden.baseAddress else { return [] }
            return output.scores(hidden: base, candidates: candidates)
        }
    }

    /// Rating task: predicted rating of each row's target item (the row's last target), [B],
    /// from the recurrent state at that position. Rows without any target get 0.
    package func predictRatings(_ batch: SequenceBatch) -> [Float] {
        guard case .rating(let rating) = head else {
            preconditionFailure("predictRatings needs a model built for task rating")
        }
        let h = encoder.hiddenSize
        var unused = SeededGenerator(seed: 0)
        bindActivations(ActivationShape(batch: batch.batchSize, steps: batch.steps, pass: .forward))
        let outputs = batch.inputs.withUnsafeBufferPointer {
            encoder.forward(inputs: $0, batch: batch.batchSize, steps: batch.steps, training: false, rng: &unused)
        }
        var gathered = [Float](repeating: 0, count: batch.batchSize * h)  // [B, H]
        var items = [Int32](repeating: 0, count: batch.batchSize)
        var hasTarget = [Bool](repeating: false, count: batch.batchSize)
        for b in 0..<batch.batchSize {
            guard let t = (0..<batch.steps).last(where: { batch.targets[b * batch.steps + $0] != 0 }) else { continue }
            let row = b * batch.steps + t
            for j in 0..<h { gathered[b * h + j] = outputs[row * h + j] }
            items[b] = batch.targets[row]
            hasTarget[b] = true
        }
        let predictions = gathered.withUnsafeBufferPointer { g -> [Float] in
            guard let base = g.baseAddress else { return [] }
            return rating.predict(hidden: base, items: items)
        }
        return zip(predictions, hasTarget).map { $1 ? $0 : 0 }
    }

    /// Tests and checkpoints: overwrites parameter values by name (e.g. from a PyTorch state dict).
    func setParameterValues(_ values: [String: [Float]]) throws(ParameterLoadError) {
        let byName = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
        for (name, data) in values.sorted(by: { $0.key < $1.key }) {
            guard let parameter = byName[name] else {
                throw .unknownName(name, known: byName.keys.sorted())
            }
            guard data.count == parameter.count else {
                throw .wrongCount(name, expected: parameter.count, found: data.count)
            }
            parameter.setValues(data)
        }
    }
}

/// A task trained with a loss it cannot use.
package struct ModelConfigurationError: Error, Equatable, CustomStringConvertible {
    package let task: TaskKind
    package let loss: LossKind
    /// Set when the cell, not the task, rules the loss out.
    package var cell: CellKind? = nil

    package var description: String {
        if let cell {
            let tasks = cell.family.tasks.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            return "cell '\(cell.rawValue)' trains task \(tasks), found task '\(task.rawValue)' with loss '\(loss.rawValue)'"
        }
        let names = LossKind.training(task).map(\.rawValue)
        let allowed = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "") : names.joined()
        return "training.loss '\(loss.rawValue)' cannot train task '\(task.rawValue)': expected \(allowed)"
    }
}

/// Loading parameter values by name failed.
package enum ParameterLoadError: Error, Equatable, CustomStringConvertible {
    case unknownName(String, known: [String])
    case wrongCount(String, expected: Int, found: Int)

    package var description: String {
        switch self {
        case .unknownName(let name, let known):
            "no parameter named '\(name)' (the model has: \(known.joined(separator: ", ")))"
        case .wrongCount(let name, let expected, let found):
            "parameter '\(name)' holds \(expected) values, found \(found)"
        }
    }
}
