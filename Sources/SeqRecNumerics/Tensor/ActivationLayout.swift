// One worker's activations for one (model, batch shape), as llm.c lays them out: an ordered
// list of named regions carved out of one allocation (ActivationArena), each starting on a
// 64-byte boundary. Built by pure functions of the model's settings and the batch shape; each
// layer declares the regions it uses next to its forward and backward, so the memory guard
// (ModelSize.workspaceFloats) and the allocation are the same function. Counts are Doubles:
// absurd settings (hidden_size 10^9) must not overflow on the way to being refused.

/// Which pass a layout serves.
package enum ActivationPass: Sendable, Hashable {
    /// A training step: the forward keeps what the backward needs, then the backward.
    case training
    /// A forward in evaluation mode (no dropout) that keeps what a backward needs (rating
    /// predictions; tests run a backward after it).
    case forward
    /// An evaluation forward: each row's last hidden state, nothing kept for a backward.
    case evaluation
}

package struct ActivationLayout: Sendable, Equatable {
    package struct Region: Sendable, Equatable {
        /// Where the region belongs and what it holds, "encoder.layers.0.gates".
        package let name: String
        /// Floats the region holds (0: declared, unused for this shape).
        package let count: Double
        /// First float of the region, a multiple of `alignment`.
        package let offset: Double
    }

    /// Floats per 64 bytes: every region starts on a cache line (and an AVX-512 vector).
    package static let alignment = 16

    /// Empty when the layout only counts (`recordsRegions` false).
    package private(set) var regions: [Region] = []
    /// Floats of the whole allocation: the last region's end, rounded up to the alignment.
    package private(set) var total: Double = 0
    /// Whether regions are kept (to allocate and bind); an estimate needs the total only, and
    /// builds no names (absurd settings may ask for billions of layers before being refused).
    package let recordsRegions: Bool

    package init(recordsRegions: Bool = true) {
        self.recordsRegions = recordsRegions
    }

    /// Appends region `name` of `count` floats after the previous ones.
    package mutating func add(_ name: @autoclosure () -> String, _ count: Double) {
        precondition(count >= 0 && !count.isNaN, "an activation region of \(count) floats")
        let alignment = Double(Self.alignment)
        if recordsRegions { regions.append(Region(name: name(), count: count, offset: total)) }
        total = ((total + count) / alignment).rounded(.up) * alignment
    }

    /// Appends region `name` of `count` floats, a product of Ints taken as Doubles (no overflow).
    package mutating func add(_ name: @autoclosure () -> String, _ factors: Int...) {
        add(name(), factors.reduce(1.0) { $0 * Double($1) })
    }
}

/// What a layout is built for besides the model: the batch shape and the pass.
package struct ActivationShape: Sendable, Hashable {
    /// B: rows of the batch.
    package var batch: Int
    /// T: positions per row.
    package var steps: Int
    package var pass: ActivationPass

    package init(batch: Int, steps: Int, pass: ActivationPass) {
        self.batch = batch
        self.steps = steps
        self.pass = pass
    }
}
