// SIMD elementwise math for the kernels. libm's expf/tanhf are scalar calls and made the LSTM
// pointwise work cost ~4x its gate matrix product; these vector versions are ~20x cheaper.
// Accuracy (tested in VectorMathTests against Double libm on a dense grid over [-100, 100]):
// |tanh error| < 4e-7, |sigmoid error| < 1e-7, exp relative error < 2e-7.
//
// Everything works on `Lanes` (Lanes.swift): SIMD8<Float> in the x86-64-v3 build (one AVX2
// register; the build SeqRec's own code uses through `VectorMath` and `Float8`), SIMD16<Float>
// in the x86-64-v4 and portable builds. Each lane gets the same operations whatever the width,
// so the builds agree bit for bit. exp/sigmoid/tanh/clamp are @_transparent because
// @inline(__always) left them as calls from the cell files, passing each vector through memory;
// the row helpers are @inlinable so that SeqRec's loops inline them across the module boundary.

#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

public enum VectorMath {
    // MARK: square root

    /// The lane-wise IEEE square root (correctly rounded, as vsqrtps). Swift's
    /// `squareRoot()` on Linux goes through the C library's sqrtf with its errno check: one
    /// scalar call per lane, which made Adam's update cost 11% of an LSTM-50 epoch. (The
    /// portable build keeps those calls: same results, it is the reference, not the fast path.)
    @_transparent
    public static func squareRoot(_ x: Lanes) -> Lanes {
        #if SEQREC_KERNELS_V4
        _mm512_sqrt_ps(x)
        #elseif arch(x86_64) && !SEQREC_KERNELS_PORTABLE
        _mm256_sqrt_ps(x)
        #else
        x.squareRoot()
        #endif
    }

    // MARK: exp (Cephes expf)

    /// e^x. Range reduction x = n*ln2 + r with |r| <= ln2/2, then Cephes' degree-5 minimax
    /// polynomial for e^r, then scaling by 2^n built directly in the exponent bits.
    /// Inputs are clamped to [-87, 88] so 2^n stays a normal number (saturates to
    /// e^88 = 1.65e38 above and e^-87 = 1.6e-38 below, never inf or NaN).
    @_transparent
    public static func exp(_ input: Lanes) -> Lanes {
        expInRange(clamp(input, -87, 88))
    }

    /// e^x for x already in [-87, 88] (callers that clamp tighter skip exp's own clamp).
    @_transparent
    public static func expInRange(_ x: Lanes) -> Lanes {
        // Round x*log2(e) to the nearest integer with the 1.5*2^23 trick: the integer ends up
        // in the low mantissa bits of `shifted`.
        let magic = Lanes(repeating: 12_582_912)
        let shifted = magic.addingProduct(x, Lanes(repeating: 1.442_695_04))
        let n = shifted - magic
        // r = x - n*ln2 in two parts (Cody-Waite) for accuracy.
        var r = x.addingProduct(n, Lanes(repeating: -0.693_359_375))
        r = r.addingProduct(n, Lanes(repeating: 2.121_944_4e-4))
        var p = Lanes(repeating: 1.987_569_150_0e-4)
        p = Lanes(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = Lanes(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = Lanes(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = Lanes(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = Lanes(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let r2 = r * r
        let expR = (r + 1).addingProduct(p, r2)
        // 2^n: (n + 127) << 23 as a bit pattern.
        let nBits = unsafeBitCast(shifted, to: LaneBits.self) &- unsafeBitCast(magic, to: LaneBits.self)
        let scaleBits = (nBits &+ 127) &<< 23
        return expR * unsafeBitCast(scaleBits, to: Lanes.self)
    }

    /// e^x through exp's polynomial, but exactly 0 below -87 where VectorMath.exp
    /// saturates: masked (-infinity) logits must get probability 0, and e^-87 < 2e-38 is
    /// negligible next to the row sum (>= 1, the maximum's own term). The mask is compared
    /// against a vector and blended with a vector: with the scalar forms
    /// (`x .< -87`, `replacing(with: 0, ...)`) the compiler built the mask lane by lane.
    @_transparent
    public static func expOrZero(_ x: Lanes) -> Lanes {
        // x <= 0 here (logits minus their maximum), so only the lower clamp is needed.
        let limit = Lanes(repeating: -87)
        let below = x .< limit
        return VectorMath.expInRange(x.replacing(with: limit, where: below)).replacing(with: Lanes(), where: below)
    }

    // MARK: sigmoid

    /// 1 / (1 + e^-x). The argument is clamped to [-80, 80] (error < 2e-35 there) so the
    /// result never becomes subnormal; it saturates to exactly 1 for large x.
    @_transparent
    public static func sigmoid(_ x: Lanes) -> Lanes {
        let clamped = clamp(x, -80, 80)
        return 1 / (1 + expInRange(-clamped))
    }

    // MARK: tanh (rational minimax, as in Eigen's ptanh_float)

    /// tanh(x) = x * P(x^2) / Q(x^2) with P of degree 6 and Q of degree 3 on x clamped to
    /// +-7.9053111 (beyond which the rational function would overshoot 1). For |x| >= 9,
    /// where Float tanh rounds to +-1, the result is exactly +-1. Odd by construction.
    @_transparent
    public static func tanh(_ input: Lanes) -> Lanes {
        let x = clamp(input, -7.905_311_107_635_498_05, 7.905_311_107_635_498_05)
        let x2 = x * x
        var p = Lanes(repeating: -2.760_768_477_423_55e-16)
        p = Lanes(repeating: 2.000_187_904_824_77e-13).addingProduct(p, x2)
        p = Lanes(repeating: -8.604_671_522_137_35e-11).addingProduct(p, x2)
        p = Lanes(repeating: 5.122_297_090_371_14e-08).addingProduct(p, x2)
        p = Lanes(repeating: 1.485_722_357_179_79e-05).addingProduct(p, x2)
        p = Lanes(repeating: 6.372_619_288_754_36e-04).addingProduct(p, x2)
        p = Lanes(repeating: 4.893_524_558_917_86e-03).addingProduct(p, x2)
        var q = Lanes(repeating: 1.198_258_394_667_02e-06)
        q = Lanes(repeating: 1.185_347_056_866_54e-04).addingProduct(q, x2)
        q = Lanes(repeating: 2.268_434_632_439_00e-03).addingProduct(q, x2)
        q = Lanes(repeating: 4.893_525_185_543_85e-03).addingProduct(q, x2)
        let saturated = Lanes(repeating: 1).replacing(with: -1, where: input .< 0)
        return (x * p / q).replacing(with: saturated, where: (input .>= 9) .| (input .<= -9))
    }

    // MARK: the standard normal distribution (GELU's Φ and φ)

    /// Beyond this |x| the Gaussian e^(-x²/2) (< 2e-38) and the normal tail are 0: x²/2 stays
    /// inside exp's range, and x Q(x) is no longer a normal Float anyway.
    public static let normalLimit: Float = 13.18

    /// e^(-u²/2) for u >= 0 (NaN stays NaN); exactly 0 for u > normalLimit. u² is carried to
    /// twice Float precision (the fused multiply-add gives its rounding error exactly) and the
    /// error folded in as e^(-ε/2) = 1 - ε/2: the rounding of u² alone would cost u²/2 ulp,
    /// 87 ulp at the limit. Relative error within 3 ulp (exp's).
    @_transparent
    public static func gaussian(_ u: Lanes) -> Lanes {
        let limit = Lanes(repeating: normalLimit)
        let beyond = u .> limit
        let v = u.replacing(with: limit, where: beyond)
        let square = v * v
        let squareError = (-square).addingProduct(v, v)  // v² - square, exact
        let e = expInRange(-0.5 * square)
        return e.addingProduct(e, -0.5 * squareError).replacing(with: Lanes(), where: beyond)
    }

    /// Q(u) / e^(-u²/2) for u >= 0, where Q(u) = P(Z > u) = erfc(u/√2)/2, Z standard normal
    /// (Φ(x) = Q(-x) below 0, 1 - Q(x) above): h(t)/(u + 3), t = (u - 3)/(u + 3) in [-1, 0.63],
    /// where h is Mills' ratio Q/φ times (u + 3)/√(2π), a smooth function from 1.5 at u = 0 to
    /// 0.4 at infinity, fitted by a degree-9 polynomial in t (Tests/Fixtures/fit_normal_tail.py;
    /// relative error 1e-7 with these Float coefficients, and exactly 1/2 at u = 0). Q as
    /// gaussian(u) times this keeps its relative accuracy all the way out, where 1 - Φ from
    /// erf (Φ = (1 + erf(x/√2))/2) cancels: that loses GELU's relative accuracy below x = -2
    /// and rounds it to 0 below x = -5.7. u above normalLimit is taken as the limit (the
    /// Gaussian is 0 there); NaN stays NaN.
    @_transparent
    public static func normalTailRatio(_ u: Lanes) -> Lanes {
        let limit = Lanes(repeating: normalLimit)
        let v = u.replacing(with: limit, where: u .> limit)
        let r = 1 / (v + 3)
        let t = (v - 3) * r
        var h = Lanes(repeating: 4.603_528_577_717_952_4e-05)
        h = Lanes(repeating: -0.000_214_232_859_434_559_94).addingProduct(h, t)
        h = Lanes(repeating: -0.000_946_549_291_256_815_2).addingProduct(h, t)
        h = Lanes(repeating: 0.001_024_923_170_916_736_1).addingProduct(h, t)
        h = Lanes(repeating: 0.006_939_233_280_718_327).addingProduct(h, t)
        h = Lanes(repeating: -0.010_464_320_890_605_45).addingProduct(h, t)
        h = Lanes(repeating: -0.047_258_630_394_935_61).addingProduct(h, t)
        h = Lanes(repeating: 0.230_017_855_763_435_36).addingProduct(h, t)
        h = Lanes(repeating: -0.509_332_120_418_548_6).addingProduct(h, t)
        h = Lanes(repeating: 0.729_083_716_869_354_2).addingProduct(h, t)
        return h * r
    }

    /// |x|: the sign bit cleared.
    @_transparent
    public static func magnitude(_ x: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(x, to: LaneBits.self) & LaneBits(repeating: 0x7fff_ffff), to: Lanes.self)
    }

    /// min(max(x, low), high) as compare + blend. (The standard library's `clamped` and
    /// `pointwiseMin` were not inlined here and cost more than the polynomials.) NaN stays NaN.
    @_transparent
    public static func clamp(_ x: Lanes, _ low: Float, _ high: Float) -> Lanes {
        let lowVector = Lanes(repeating: low), highVector = Lanes(repeating: high)
        return x.replacing(with: lowVector, where: x .< lowVector).replacing(with: highVector, where: x .> highVector)
    }

    // MARK: partial-vector load/store

    /// Loads `count` (< Lanes.scalarCount allowed) Floats, zero-filling the rest, so row tails
    /// use the same arithmetic as full vectors.
    @inlinable @inline(__always)
    public static func load(_ source: UnsafePointer<Float>, count: Int) -> Lanes {
        if count >= Lanes.scalarCount { return UnsafeRawPointer(source).loadUnaligned(as: Lanes.self) }
        return loadTail(source, count: count)
    }

    @inlinable @inline(__always)
    public static func store(_ value: Lanes, to destination: UnsafeMutablePointer<Float>, count: Int) {
        if count >= Lanes.scalarCount {
            UnsafeMutableRawPointer(destination).storeBytes(of: value, as: Lanes.self)
            return
        }
        storeTail(value, to: destination, count: count)
    }

    /// Row tails (fewer than Lanes.scalarCount values) go lane by lane through a small stack copy.
    @inlinable @inline(__always)
    static func loadTail(_ source: UnsafePointer<Float>, count: Int) -> Lanes {
        var lanes = Lanes()
        withUnsafeMutableBytes(of: &lanes) { raw in
            let typed = raw.bindMemory(to: Float.self)
            for lane in 0..<count { typed[lane] = source[lane] }
        }
        return lanes
    }

    @inlinable @inline(__always)
    static func storeTail(_ value: Lanes, to destination: UnsafeMutablePointer<Float>, count: Int) {
        withUnsafeBytes(of: value) { raw in
            let typed = raw.bindMemory(to: Float.self)
            for lane in 0..<count { destination[lane] = typed[lane] }
        }
    }
}

// MARK: - Whole-buffer forms (used by the heads, and by tests, which compile unoptimised)

extension VectorMath {
    public enum Function: Sendable { case exp, sigmoid, tanh }

    /// output[i] = function(input[i]); output may alias input.
    @inlinable
    public static func apply(_ function: Function, _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count >= input.count, "output holds \(output.count) values, input \(input.count)")
        guard let source = input.baseAddress, let destination = output.baseAddress else { return }
        var index = 0
        while index < input.count {
            let n = Swift.min(Lanes.scalarCount, input.count - index)
            let x = load(source + index, count: n)
            let y: Lanes
            switch function {
            case .exp: y = exp(x)
            case .sigmoid: y = sigmoid(x)
            case .tanh: y = tanh(x)
            }
            store(y, to: destination + index, count: n)
            index += Lanes.scalarCount
        }
    }
}

// MARK: - Row traversal in Lanes.scalarCount-lane chunks (8 in the text below; 16 in the wide builds)

extension VectorMath {
    /// The chunk schedule of a row of `width` columns: full 8-lane chunks at 0, 8, ... below
    /// `start`, then the last chunk at `start` with `lanes` lanes (8, or width when the row is
    /// narrower). When width is not a multiple of 8 the last chunk overlaps the one before:
    /// its inputs must be loaded before any chunk stores (so in-place kernels read original
    /// values) and it is finished last, rewriting the overlapped columns with bit-identical
    /// values (same inputs, same lane-wise arithmetic). Every chunk stays a plain vector
    /// load/store instead of a lane-by-lane tail. The cells' big kernels spell this loop out
    /// with @_transparent static chunk functions, because the optimizer inlined neither
    /// closures nor @inline(__always) functions that large (an outlined chunk passes all its
    /// vectors through memory; that cost 3-12% of a stack step here):
    ///
    ///     let last = VectorMath.lastChunk(width: hidden)
    ///     let lastInputs = inputs(last.start, last.lanes)
    ///     for j in stride(from: 0, to: last.start, by: 8) { finish(inputs(j, 8), j, 8) }
    ///     finish(lastInputs, last.start, last.lanes)
    @inlinable @inline(__always)
    public static func lastChunk(width: Int) -> (start: Int, lanes: Int) {
        let lanes = Swift.min(width, Lanes.scalarCount)
        return (width - lanes, lanes)
    }

    /// The same schedule with closures: `load(j, n)` reads a chunk's inputs, `finish(inputs,
    /// j, n)` computes and stores it. For small kernels.
    @inlinable @inline(__always)
    public static func forEachChunk<Inputs>(width: Int, load: (Int, Int) -> Inputs, finish: (Inputs, Int, Int) -> Void) {
        guard width > 0 else { return }
        let last = lastChunk(width: width)
        let lastInputs = load(last.start, last.lanes)
        let size = Lanes.scalarCount
        for j in stride(from: 0, to: last.start, by: size) { finish(load(j, size), j, size) }
        finish(lastInputs, last.start, last.lanes)
    }
}
