// Where an encoder's workspaces live: in the model's activation arena once SequenceRecommender
// binds them for a shape, else (an encoder used on its own: tests, lastHidden before any
// model binding) in an arena of the encoder's own. The encoders share this rule.

protocol EncoderArena: AnyObject {
    /// The shape the workspaces are bound for (nil: not yet bound).
    var boundShape: ActivationShape? { get set }
    /// The encoder's own arena, made on first use without a model binding.
    var ownArena: ActivationArena? { get set }
    func activationRegions(into layout: inout ActivationLayout, prefix: String, shape: ActivationShape)
    func bindActivations(_ cursor: inout ActivationCursor, shape: ActivationShape)
}

extension EncoderArena {
    /// Binds the workspaces for `shape` unless they are: into the model's arena when the
    /// model bound them first, else into the encoder's own.
    func bindActivationsIfNeeded(_ shape: ActivationShape) {
        guard boundShape != shape else { return }
        var layout = ActivationLayout()
        activationRegions(into: &layout, prefix: "encoder", shape: shape)
        let arena = ownArena ?? ActivationArena()
        ownArena = arena
        var cursor = arena.cursor(for: layout)
        bindActivations(&cursor, shape: shape)
        cursor.finish()
    }

    /// Whether the encoder allocated an arena of its own (used without a model, or a model
    /// that did not bind it for a shape: tests).
    var hasOwnArena: Bool { ownArena != nil }
}
