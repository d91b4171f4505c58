// The encoder of a SequenceRecommender: item ids [B, T] -> outputs [B, T, H] and their
// backward. Each model family (ModelFamily) builds its own; the recommender puts one head
// on top and never asks which family it holds.

protocol SequenceEncoder: AnyObject {
    /// In PyTorch state-dict order.
    var parameters: [Parameter] { get }

    /// H: the width of each output row.
    var hiddenSize: Int { get }

    /// The input item table [V, E] (row-sparse updates track its rows).
    var itemTable: Parameter { get }

    /// The table [V, H] a next-item output layer scores with when it is tied to the input
    /// (no bias, no parameters of its own); nil gives the head an output layer of its own.
    var tiedOutputTable: Parameter? { get }

    /// The per-class bias [V] of the tied output layer, owned by the encoder; nil: no bias.
    var tiedOutputBias: Parameter? { get }

    /// The batch a training step trains on, made from the next-item batch `batch` (a cloze
    /// task masks it); draws from `rng` before the forward's dropout masks.
    func trainingBatch(_ batch: SequenceBatch, rng: inout SeededGenerator) -> SequenceBatch

    /// inputs [B, T] item ids (0 = padding). Returns [B, T, H], valid until the next forward.
    /// `rng` draws the training-time randomness (dropout masks) in a fixed order.
    func forward(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int, training: Bool,
                 rng: inout SeededGenerator) -> UnsafeBufferPointer<Float>

    /// dOutputs [B, T, H]: gradient of the loss w.r.t. the last forward's outputs. Adds into
    /// every parameter's gradient; at most once per forward.
    func backward(dOutputs: UnsafeBufferPointer<Float>)

    /// [B, H] output after each row's last input (evaluation mode; replaces the last forward's state).
    func lastHidden(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int) -> [Float]

    /// Appends the regions the encoder binds for `shape` (`ModelFamily.encoderActivationRegions`
    /// for its settings) and binds its workspaces to them, in the same order.
    func activationRegions(into layout: inout ActivationLayout, prefix: String, shape: ActivationShape)
    func bindActivations(_ cursor: inout ActivationCursor, shape: ActivationShape)

    /// Whether the encoder allocated workspaces of its own (used without a model); tests.
    var hasOwnArena: Bool { get }

    /// Every workspace the encoder binds, in bind order (tests).
    var activationBuffers: [FloatBuffer] { get }

    /// Whether `lastHidden` may keep work that depends only on the weights (a projected item
    /// table) across calls: true only during an evaluation pass, whose weights do not change.
    var keepsWeightDerivedWork: Bool { get set }
}

extension SequenceEncoder {
    var tiedOutputBias: Parameter? { nil }

    /// Next-item training: the batch as it is.
    func trainingBatch(_ batch: SequenceBatch, rng: inout SeededGenerator) -> SequenceBatch { batch }

    /// An encoder whose evaluation keeps nothing across batches.
    var keepsWeightDerivedWork: Bool {
        get { false }
        set {}
    }
}
