// The interface every build of seqrec's hot kernels implements (Sources/SeqRecKernels, compiled
// once per instruction set), and the argument structs it takes. SeqRec holds the chosen build as
// `any KernelSet.Type` (Tensor/KernelDispatch.swift); a call costs one indirect jump, so each
// entry point does a whole step, row or range, never one vector.
//
// Letters: B batch rows, H hidden size, G gates (LSTM 4, GRU 3, RNN 1), W = G*H.
// Results do not depend on the build: every output is bitwise the same (KernelPathTests checks
// it). Each lane runs the same operations in the same order, with the same fused multiply-adds,
// whatever the vector width; the one reduction, the softmax's row sum of e^z, is added in the
// 8-lane order by every build (SoftmaxKernels.swift).

/// Which build a kernel set is: its path name, vector width and instruction set.
public struct KernelBuild: Sendable, Equatable {
    /// `v3`, `v4` or `portable`: the value SEQREC_KERNELS takes.
    public var path: String
    /// Floats per vector in the kernels' loops (8 = one AVX2 register, 16 = one AVX-512 register).
    public var lanes: Int
    /// The instructions it is compiled for, e.g. `x86-64-v3 (AVX2, FMA)`.
    public var instructions: String

    public init(path: String, lanes: Int, instructions: String) {
        self.path = path
        self.lanes = lanes
        self.instructions = instructions
    }
}

/// One recurrent step's rows in forward (row b of the step at offset b*W or b*H).
public struct RecurrentForwardStep {
    public var batch: Int
    public var hidden: Int
    public var gates: UnsafeMutablePointer<Float>      // [B, W] x side (+ W_hh h unless separate) -> activations (RNN: a)
    public var recurrent: UnsafeMutablePointer<Float>  // [B, W] separate hidden side (GRU): W_hh h -> kept for backward
    public var bias: UnsafePointer<Float>?             // [W] x-side bias of a dense input; nil when the rows hold it
    public var recurrentBias: UnsafePointer<Float>     // [W] b_hh, separate hidden side
    public var hPrev: UnsafePointer<Float>             // [B, H] h_{t-1}
    public var hNext: UnsafeMutablePointer<Float>      // [B, H] h_t
    public var cPrev: UnsafePointer<Float>             // [B, H] c_{t-1} (LSTM)
    public var cNext: UnsafeMutablePointer<Float>      // [B, H] c_t (LSTM)
    public var cellTanh: UnsafeMutablePointer<Float>   // [B, H] tanh(c_t) (LSTM)
    public var mask: UnsafePointer<Bool>               // [B] false: a padded step, the states are carried

    public init(batch: Int, hidden: Int, gates: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>,
                bias: UnsafePointer<Float>?, recurrentBias: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                hNext: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, cNext: UnsafeMutablePointer<Float>,
                cellTanh: UnsafeMutablePointer<Float>, mask: UnsafePointer<Bool>) {
        self.batch = batch
        self.hidden = hidden
        self.gates = gates
        self.recurrent = recurrent
        self.bias = bias
        self.recurrentBias = recurrentBias
        self.hPrev = hPrev
        self.hNext = hNext
        self.cPrev = cPrev
        self.cNext = cNext
        self.cellTanh = cellTanh
        self.mask = mask
    }
}

/// One recurrent step's rows in backward.
public struct RecurrentBackwardStep {
    public var batch: Int
    public var hidden: Int
    public var gates: UnsafeMutablePointer<Float>      // [B, W] activations -> input-side pre-activation gradients
    public var recurrent: UnsafeMutablePointer<Float>  // [B, W] separate hidden side: as forward left it -> its gradients
    public var hPrev: UnsafePointer<Float>             // [B, H] h_{t-1}
    public var hNext: UnsafePointer<Float>             // [B, H] h_t
    public var cPrev: UnsafePointer<Float>             // [B, H] c_{t-1} (LSTM)
    public var cellTanh: UnsafePointer<Float>          // [B, H] tanh(c_t) (LSTM)
    public var dOut: UnsafePointer<Float>              // [B, H] the step's output gradient
    public var dhCarry: UnsafeMutablePointer<Float>    // [B, H] dh from step t+1 -> the step's own part for t-1
    public var dcCarry: UnsafeMutablePointer<Float>    // [B, H] dc from step t+1 -> dc for t-1 (LSTM)
    public var mask: UnsafePointer<Bool>               // [B]

    public init(batch: Int, hidden: Int, gates: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>,
                hPrev: UnsafePointer<Float>, hNext: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                cellTanh: UnsafePointer<Float>, dOut: UnsafePointer<Float>, dhCarry: UnsafeMutablePointer<Float>,
                dcCarry: UnsafeMutablePointer<Float>, mask: UnsafePointer<Bool>) {
        self.batch = batch
        self.hidden = hidden
        self.gates = gates
        self.recurrent = recurrent
        self.hPrev = hPrev
        self.hNext = hNext
        self.cPrev = cPrev
        self.cellTanh = cellTanh
        self.dOut = dOut
        self.dhCarry = dhCarry
        self.dcCarry = dcCarry
        self.mask = mask
    }
}

/// One Adam step's scalars (Training/Optimizers/Adam.swift has the equations).
public struct AdamStepConstants: Sendable {
    public var l2: Float = 0, shrink: Float = 1, oneMinusBeta1: Float = 0, beta2: Float = 0, oneMinusBeta2: Float = 0
    public var inverseRoot2: Float = 0, eps: Float = 0, negStep: Float = 0
    /// SparseAdam's
    public var sparseNegStep: Float = 0, sparseKeep1: Float = 0, sparseKeep2: Float = 0

    public init() {}
}

/// seqrec's hot kernels, one build of them. Pointers are Float32 buffers in the layouts the
/// comments give; nothing here allocates. (A build is a namespace of static functions, so
/// its metatype can be shared between threads.)
public protocol KernelSet: SendableMetatype {
    static var build: KernelBuild { get }

    // MARK: recurrent cells (Models/Recurrent: the equations)
    static func lstmForward(_ step: RecurrentForwardStep)
    static func lstmBackward(_ step: RecurrentBackwardStep)
    static func gruForward(_ step: RecurrentForwardStep)
    static func gruBackward(_ step: RecurrentBackwardStep)
    static func rnnForward(_ step: RecurrentForwardStep)
    static func rnnBackward(_ step: RecurrentBackwardStep)

    // MARK: softmax cross-entropy row passes (Models/SoftmaxCrossEntropy.swift)
    /// max_j z_j (-infinity for an empty row).
    static func rowMaximum(_ z: UnsafePointer<Float>, count: Int) -> Float
    /// z_j <- z_j + bias_j; returns the new maximum.
    static func addBiasAndMaximum(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Float
    /// z_j <- e^(z_j - shift), exactly 0 where z_j - shift < -87; returns the sum.
    static func exponentiateShifted(_ z: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float
    /// z_j <- e^(z_j + bias_j) (exponent clamped to [-87, 88]); returns the sum and the largest z_j + bias_j.
    static func exponentiateWithBias(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, count: Int)
        -> (sum: Float, maximum: Float)
    /// z_j <- factor * z_j.
    static func scaleRow(_ z: UnsafeMutablePointer<Float>, count: Int, by factor: Float)
    /// z_j <- factor * z_j; sums_j += z_j.
    static func scaleRowAndAccumulate(_ z: UnsafeMutablePointer<Float>, count: Int, by factor: Float,
                                      into sums: UnsafeMutablePointer<Float>)

    // MARK: Adam (Training/Optimizers/Adam.swift)
    /// torch.optim.Adam / AdamW on p, g, m, v [count]; `decay` applies the weight-decay terms.
    static func adamDense(_ c: AdamStepConstants, decay: Bool, values p: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>,
                          means m: UnsafeMutablePointer<Float>, squares v: UnsafeMutablePointer<Float>, count: Int)
    /// torch.optim.SparseAdam on one touched row [count].
    static func adamRow(_ c: AdamStepConstants, values p: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>,
                        means m: UnsafeMutablePointer<Float>, squares v: UnsafeMutablePointer<Float>, count: Int)

    // MARK: GELU, the exact (erf) form (Models/Attention/GELU.swift)
    /// y = x Φ(x), Φ the standard normal CDF; `cdf`, when given, receives Φ(x). y may be x.
    static func geluForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, cdf: UnsafeMutablePointer<Float>?,
                            count: Int)
    /// dx = dy (Φ(x) + x φ(x)), φ the standard normal density; Φ read from `cdf` (what
    /// geluForward wrote) when given, else computed (the same bits). dx may be dy.
    static func geluBackward(input x: UnsafePointer<Float>, cdf: UnsafePointer<Float>?, dOutput dy: UnsafePointer<Float>,
                             into dx: UnsafeMutablePointer<Float>, count: Int)

    // MARK: table rows (Models/Embedding.swift, the recurrent layer's lookup input)
    /// output[s, b, :] = table[ids[b * idStride + s], :] for b < batch, s < steps; table [V, width],
    /// output [steps, batch, width] (time-major).
    static func gatherRows(table: UnsafePointer<Float>, width: Int, ids: UnsafePointer<Int32>, idStride: Int,
                           batch: Int, steps: Int, into output: UnsafeMutablePointer<Float>)
    /// table[ids[b * idStride + s], :] += rows[s, b, :] for every id but 0 (padding), b outer and
    /// s inner (the order of the sums when an id repeats).
    static func scatterAddRows(_ rows: UnsafePointer<Float>, width: Int, ids: UnsafePointer<Int32>, idStride: Int,
                               batch: Int, steps: Int, into table: UnsafeMutablePointer<Float>)
}
