// A trainable model family: its descriptor (Config/ModelFamilyDescriptor: cells, tasks, keys,
// rules), how to build its encoder and how big that encoder is before it is built. Each
// family lives in its own folder under Models/ and is registered with one line below;
// SequenceRecommender and ModelSize ask the registry, never a family by name.

protocol ModelFamily: Sendable {
    /// The data every layer sees (registered in `ModelFamilyDescriptor.all`).
    static var descriptor: ModelFamilyDescriptor { get }

    /// Whether the encoder's output layer is tied to its item table (`tiedOutputTable`),
    /// known before it is built (parameter counts).
    static var tiesOutputToItemTable: Bool { get }

    /// The encoder for `spec` (one of `descriptor.cells`); V = numItems + 1 item rows,
    /// `maxLength` = split.max_length. Random draws: the encoder's weights only.
    static func makeEncoder(_ spec: ModelSpec, numItems: Int, maxLength: Int,
                            rng: inout SeededGenerator) -> any SequenceEncoder

    /// Parameters of `makeEncoder`'s encoder.
    static func encoderParameterCount(_ spec: ModelSpec, numItems: Int, maxLength: Int) -> Double

    /// Appends the regions `makeEncoder`'s encoder binds for `shape` (its
    /// `activationRegions`, prefix "encoder"): the memory estimate and the allocation.
    static func encoderActivationRegions(_ spec: ModelSpec, numItems: Int, maxLength: Int, shape: ActivationShape,
                                         into layout: inout ActivationLayout)
}

enum ModelFamilies {
    /// Every trainable family, one line each. (pop and markov are descriptors without an
    /// encoder: they count, they do not train; see Models/Baselines.)
    static let registered: [any ModelFamily.Type] = [
        RecurrentFamily.self,
        SASRecFamily.self,
        BERT4RecFamily.self,
    ]

    /// The trainable family that provides `cell`; nil for the baselines.
    static func family(for cell: CellKind) -> (any ModelFamily.Type)? {
        registered.first { $0.descriptor.cells.contains(cell) }
    }
}
