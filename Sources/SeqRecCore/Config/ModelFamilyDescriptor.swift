// What every layer needs to know about a model family before any model exists, as plain
// data the config layer can hold: its cells, what it trains, how it is windowed and compared,
// the model keys only it reads and the rules across keys it imposes. Models/ registers the
// implementation of each trainable family (ModelFamily) against these descriptors; nothing
// else names a family. See docs/development.md, "Model families".

public struct ModelFamilyDescriptor: Sendable {
    /// What a comparison calls the family ("recurrent", "attention"; a baseline's own name).
    package let name: String
    /// The `model.cell` values it provides.
    package let cells: [CellKind]
    /// Trained by gradient (SequenceRecommender); false for the counting baselines.
    package let trainsByGradient: Bool
    /// The tasks it trains.
    package let tasks: [TaskKind]
    /// Whether `training.sparse_gradients: true` applies to it.
    package let allowsSparseGradients: Bool
    /// Training windows start at every position (a warm-up of short prefixes, as a recurrent
    /// model sees them) instead of the last `max_length` items only (a position table of
    /// `max_length` rows sees every window at the same positions).
    public let warmUpWindows: Bool
    /// The model keys only this family reads: documented under it and recorded in the
    /// resolved configuration of its runs only.
    let ownKeys: [SchemaKey]
    /// Its rules across keys beyond `tasks` and `allowsSparseGradients`: (key path, message) per violation.
    let rules: @Sendable (ModelSpec) -> [(keyPath: String, message: String)]
    /// The rules as the configuration reference states them (after the generated task and sparse-gradient rule).
    let ruleText: String?
    /// The `model.*` keys a cell of this family reads (YAML spelling, without `model.`);
    /// nil: every one. What `runner compare` names a row by (`CellKind.reads(setting:)`).
    var modelKeysRead: (@Sendable (CellKind) -> Set<String>)? = nil

    /// Every family; `CellKind` values map to exactly one.
    static let all: [ModelFamilyDescriptor] = [.recurrent, .sasrec, .bert4rec, .popularity, .markov]
}

extension CellKind {
    /// The family that provides this cell.
    public var family: ModelFamilyDescriptor {
        guard let family = ModelFamilyDescriptor.all.first(where: { $0.cells.contains(self) }) else {
            preconditionFailure("cell '\(rawValue)' belongs to no registered model family")
        }
        return family
    }

    /// A model with parameters trained by gradient (SequenceRecommender).
    package var isTrainable: Bool { family.trainsByGradient }
}

// MARK: - The families

extension ModelFamilyDescriptor {
    package static let recurrent = ModelFamilyDescriptor(
        name: "recurrent", cells: [.lstm, .gru, .rnn], trainsByGradient: true, tasks: [.nextItem, .rating],
        allowsSparseGradients: true, warmUpWindows: true, ownKeys: [], rules: { _ in [] }, ruleText: nil,
        modelKeysRead: { cell in
            // forget_bias is the LSTM's forget gate's.
            Set(["cell", "embedding_size", "hidden_size", "layers", "dropout", "output_dropout"]).union(cell == .lstm ? ["forget_bias"] : [])
        })

    package static let sasrec = ModelFamilyDescriptor(
        name: "attention", cells: [.sasrec], trainsByGradient: true, tasks: [.nextItem],
        allowsSparseGradients: false, warmUpWindows: false,
        ownKeys: [
            blocksKey,
            headsKey,
            SchemaKey("norm", .choice(ConfigSchema.names(LayerNormPlacement.self)), "`sasrec` only: layer norm placement, `pre` (x + f(LN(x)), the port's `--norm_first`) or `post` (LN(x + f(x))). Its position table has `split.max_length` rows, so every window fits."),
        ],
        rules: { model in headsDivideWidth(model, cell: .sasrec) },
        ruleText: "`model.heads` dividing `model.hidden_size`",
        modelKeysRead: { _ in ["cell", "hidden_size", "dropout", "blocks", "heads", "norm"] })

    /// Bidirectional self-attention trained on the cloze task; post-LN blocks (no `norm`).
    package static let bert4rec = ModelFamilyDescriptor(
        name: "bidirectional", cells: [.bert4rec], trainsByGradient: true, tasks: [.nextItem],
        allowsSparseGradients: false, warmUpWindows: false,
        ownKeys: [
            blocksKey,
            headsKey,
            SchemaKey("mask_probability", .number(.unitHalfOpen), "`bert4rec` only: the probability that a training item is replaced by the mask token (the cloze task; RecBole's `mask_ratio`); must be > 0.", default: "`0.2`"),
        ],
        rules: { model in
            headsDivideWidth(model, cell: .bert4rec)
                + (model.maskProbability > 0 ? [] : [("model.mask_probability",
                    "expected a mask probability in (0, 1) for cell 'bert4rec', found \(model.maskProbability)")])
        },
        ruleText: "`model.heads` dividing `model.hidden_size`, and `model.mask_probability` > 0",
        modelKeysRead: { _ in ["cell", "hidden_size", "dropout", "blocks", "heads", "mask_probability"] })

    /// Keys the self-attention families share (schema and reference list each once).
    static let blocksKey = SchemaKey("blocks", .integer(minimum: 1), "`sasrec` and `bert4rec` (the cells ignore it): self-attention blocks, each attention then a point-wise feed-forward.")
    static let headsKey = SchemaKey("heads", .integer(minimum: 1), "`sasrec` and `bert4rec`: attention heads; must divide `hidden_size`.")

    /// Training popularity: counts, no gradient.
    static let popularity = ModelFamilyDescriptor(
        name: "pop", cells: [.pop], trainsByGradient: false, tasks: [.nextItem, .rating],
        allowsSparseGradients: true, warmUpWindows: true, ownKeys: [], rules: { _ in [] }, ruleText: nil,
        modelKeysRead: { _ in ["cell"] })

    /// First-order transitions falling back to popularity: counts, no gradient.
    static let markov = ModelFamilyDescriptor(
        name: "markov", cells: [.markov], trainsByGradient: false, tasks: [.nextItem, .rating],
        allowsSparseGradients: true, warmUpWindows: true, ownKeys: [], rules: { _ in [] }, ruleText: nil,
        modelKeysRead: { _ in ["cell"] })

    /// Attention heads split the width evenly; the message suggests the nearest divisor.
    static func headsDivideWidth(_ model: ModelSpec, cell: CellKind) -> [(keyPath: String, message: String)] {
        let (width, heads) = (model.hiddenSize, model.heads)
        guard width % heads != 0 else { return [] }
        let divisors = (1...width).filter { width % $0 == 0 }
        let nearest = divisors.min { abs($0 - heads) != abs($1 - heads) ? abs($0 - heads) < abs($1 - heads) : $0 < $1 } ?? 1
        return [("model.heads",
                 "expected a number of heads that divides model.hidden_size (\(width)) for cell '\(cell.rawValue)', found \(heads); did you mean \(nearest)?")]
    }
}
