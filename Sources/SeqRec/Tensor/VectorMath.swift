// SIMD elementwise math for the recurrent cells. libm's expf/tanhf are scalar calls and made
// the LSTM pointwise work cost ~4x its gate matrix product; these vector versions are ~20x
// cheaper. Accuracy (tested in VectorMathTests against Double libm on a dense grid over
// [-100, 100]): |tanh error| < 4e-7, |sigmoid error| < 1e-7, exp relative error < 2e-7.
//
// All work on SIMD8<Float> (one AVX2 register); with -target-cpu haswell the polynomial
// steps compile to vfmadd instructions (checked with objdump on the release .o files).
// exp/sigmoid/tanh/clamp are @_transparent because @inline(__always) left them as calls from
// the cell files, passing each vector through memory.

#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

public typealias Float8 = SIMD8<Float>

public enum VectorMath {
    // MARK: square root

    /// The lane-wise IEEE square root (correctly rounded, as vsqrtps). Swift's
    /// `squareRoot()` on Linux goes through the C library's sqrtf with its errno check: one
    /// scalar call per lane, which made Adam's update cost 11% of an LSTM-50 epoch.
    @_transparent
    public static func squareRoot(_ x: Float8) -> Float8 {
        #if arch(x86_64)
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
    public static func exp(_ input: Float8) -> Float8 {
        expInRange(clamp(input, -87, 88))
    }

    /// e^x for x already in [-87, 88] (callers that clamp tighter skip exp's own clamp).
    @_transparent
    public static func expInRange(_ x: Float8) -> Float8 {
        // Round x*log2(e) to the nearest integer with the 1.5*2^23 trick: the integer ends up
        // in the low mantissa bits of `shifted`.
        let magic = Float8(repeating: 12_582_912)
        let shifted = magic.addingProduct(x, Float8(repeating: 1.442_695_04))
        let n = shifted - magic
        // r = x - n*ln2 in two parts (Cody-Waite) for accuracy.
        var r = x.addingProduct(n, Float8(repeating: -0.693_359_375))
        r = r.addingProduct(n, Float8(repeating: 2.121_944_4e-4))
        var p = Float8(repeating: 1.987_569_150_0e-4)
        p = Float8(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = Float8(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = Float8(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = Float8(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = Float8(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let r2 = r * r
        let expR = (r + 1).addingProduct(p, r2)
        // 2^n: (n + 127) << 23 as a bit pattern.
        let nBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let scaleBits = (nBits &+ 127) &<< 23
        return expR * unsafeBitCast(scaleBits, to: Float8.self)
    }

    // MARK: sigmoid

    /// 1 / (1 + e^-x). The argument is clamped to [-80, 80] (error < 2e-35 there) so the
    /// result never becomes subnormal; it saturates to exactly 1 for large x.
    @_transparent
    public static func sigmoid(_ x: Float8) -> Float8 {
        let clamped = clamp(x, -80, 80)
        return 1 / (1 + expInRange(-clamped))
    }

    // MARK: tanh (rational minimax, as in Eigen's ptanh_float)

    /// tanh(x) = x * P(x^2) / Q(x^2) with P of degree 6 and Q of degree 3 on x clamped to
    /// +-7.9053111 (beyond which the rational function would overshoot 1). For |x| >= 9,
    /// where Float tanh rounds to +-1, the result is exactly +-1. Odd by construction.
    @_transparent
    public static func tanh(_ input: Float8) -> Float8 {
        let x = clamp(input, -7.905_311_107_635_498_05, 7.905_311_107_635_498_05)
        let x2 = x * x
        var p = Float8(repeating: -2.760_768_477_423_55e-16)
        p = Float8(repeating: 2.000_187_904_824_77e-13).addingProduct(p, x2)
        p = Float8(repeating: -8.604_671_522_137_35e-11).addingProduct(p, x2)
        p = Float8(repeating: 5.122_297_090_371_14e-08).addingProduct(p, x2)
        p = Float8(repeating: 1.485_722_357_179_79e-05).addingProduct(p, x2)
        p = Float8(repeating: 6.372_619_288_754_36e-04).addingProduct(p, x2)
        p = Float8(repeating: 4.893_524_558_917_86e-03).addingProduct(p, x2)
        var q = Float8(repeating: 1.198_258_394_667_02e-06)
        q = Float8(repeating: 1.185_347_056_866_54e-04).addingProduct(q, x2)
        q = Float8(repeating: 2.268_434_632_439_00e-03).addingProduct(q, x2)
        q = Float8(repeating: 4.893_525_185_543_85e-03).addingProduct(q, x2)
        let saturated = Float8(repeating: 1).replacing(with: -1, where: input .< 0)
        return (x * p / q).replacing(with: saturated, where: (input .>= 9) .| (input .<= -9))
    }

    /// min(max(x, low), high) as compare + blend. (The standard library's `clamped` and
    /// `pointwiseMin` were not inlined here and cost more than the polynomials.) NaN stays NaN.
    @_transparent
    public static func clamp(_ x: Float8, _ low: Float, _ high: Float) -> Float8 {
        let lowVector = Float8(repeating: low), highVector = Float8(repeating: high)
        return x.replacing(with: lowVector, where: x .< lowVector).replacing(with: highVector, where: x .> highVector)
    }

    // MARK: partial-vector load/store

    /// Loads `count` (< 8 allowed) Floats, zero-filling the rest, so row tails use the same
    /// arithmetic as full vectors.
    @inline(__always)
    public static func load(_ source: UnsafePointer<Float>, count: Int) -> Float8 {
        if count >= 8 { return UnsafeRawPointer(source).loadUnaligned(as: Float8.self) }
        return loadTail(source, count: count)
    }

    @inline(__always)
    public static func store(_ value: Float8, to destination: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 8 {
            UnsafeMutableRawPointer(destination).storeBytes(of: value, as: Float8.self)
            return
        }
        storeTail(value, to: destination, count: count)
    }

    /// Row tails (fewer than 8 values) go lane by lane through a small stack copy.
    @inline(__always)
    static func loadTail(_ source: UnsafePointer<Float>, count: Int) -> Float8 {
        var lanes: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &lanes) { raw in
            let typed = raw.bindMemory(to: Float.self)
            for lane in 0..<count { typed[lane] = source[lane] }
        }
        return unsafeBitCast(lanes, to: Float8.self)
    }

    @inline(__always)
    static func storeTail(_ value: Float8, to destination: UnsafeMutablePointer<Float>, count: Int) {
        let lanes = unsafeBitCast(value, to: (Float, Float, Float, Float, Float, Float, Float, Float).self)
        withUnsafeBytes(of: lanes) { raw in
            let typed = raw.bindMemory(to: Float.self)
            for lane in 0..<count { destination[lane] = typed[lane] }
        }
    }
}

// MARK: - Whole-buffer forms (used by the heads, and by tests, which compile unoptimised)

extension VectorMath {
    public enum Function: Sendable { case exp, sigmoid, tanh }

    /// output[i] = function(input[i]); output may alias input.
    public static func apply(_ function: Function, _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count >= input.count, "output holds \(output.count) values, input \(input.count)")
        guard let source = input.baseAddress, let destination = output.baseAddress else { return }
        var index = 0
        while index < input.count {
            let n = Swift.min(8, input.count - index)
            let x = load(source + index, count: n)
            let y: Float8
            switch function {
            case .exp: y = exp(x)
            case .sigmoid: y = sigmoid(x)
            case .tanh: y = tanh(x)
            }
            store(y, to: destination + index, count: n)
            index += 8
        }
    }
}

// MARK: - Row traversal in 8-lane chunks

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
    @inline(__always)
    public static func lastChunk(width: Int) -> (start: Int, lanes: Int) {
        let lanes = Swift.min(width, 8)
        return (width - lanes, lanes)
    }

    /// The same schedule with closures: `load(j, n)` reads a chunk's inputs, `finish(inputs,
    /// j, n)` computes and stores it. For small kernels.
    @inline(__always)
    public static func forEachChunk<Inputs>(width: Int, load: (Int, Int) -> Inputs, finish: (Inputs, Int, Int) -> Void) {
        guard width > 0 else { return }
        let last = lastChunk(width: width)
        let lastInputs = load(last.start, last.lanes)
        for j in stride(from: 0, to: last.start, by: 8) { finish(load(j, 8), j, 8) }
        finish(lastInputs, last.start, last.lanes)
    }
}
