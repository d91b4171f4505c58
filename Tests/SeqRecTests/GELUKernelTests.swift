import Foundation
import SeqRecKernelAPI
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The GELU kernels (Sources/SeqRecKernels/GELUKernels.swift) and the normal CDF under them,
// against float64 references from libm (erfc, exp), on the kernels this process runs:
//
//   Φ(x) and GELU(x) = x Φ(x): within 8 ulp of float64 wherever the reference is a normal
//     Float (x > -13.05 for Φ), relative to the value itself, so the lower tail is as exact
//     as the middle (1 + erf(x/√2) would cancel there: 0 below x = -5.7);
//   GELU'(x) = Φ(x) + x φ(x): within 8 ulp of |Φ(x)| + |x φ(x)|, the size of its two terms
//     (their sum crosses 0 at x = -0.75, where no bound relative to the sum itself holds), for
//     x >= -13.18; 0 below, where its true size is below 1.1e-37;
//   the special values (0, ±tiny, ±large, ±inf, NaN) as the erf form gives them in float64.
//
// Every kernel path this CPU runs gives the same bits (KernelPathTests has the other kernels).

private let ulpBound = 8.0

/// Φ(x) in float64: erfc keeps the lower tail's relative accuracy.
private func cdf64(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
private func density64(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

/// |value - reference| in units of the reference's last place (as a Float).
private func ulps(_ value: Float, _ reference: Double) -> Double {
    abs(Double(value) - reference) / Double(Float(reference).ulp)
}

/// Every 256th Float bit pattern of [0, 14], both signs: 32,768 points per binade down to the
/// subnormals, so the tiny, the middle and the far tail are all dense; and a few exact values.
private let denseGrid: [Float] = {
    var values: [Float] = []
    let top = Float(14).bitPattern
    for bits in stride(from: UInt32(0), through: top, by: 256) {
        let x = Float(bitPattern: bits)
        values.append(x)
        values.append(-x)
    }
    values += [0.5, 1, 2, 3, 5.656_854_2, -5.656_854_2, 13, -13, 13.18, -13.18, 13.19, -13.19]
    return values
}()

private struct GELUOutputs {
    var y: [Float], cdf: [Float], dx: [Float], dxFromCDF: [Float]
}

/// Forward (keeping Φ) and backward (dy = 1, Φ recomputed and read back) through `kernels`.
private func run(_ kernels: any KernelSet.Type, _ x: [Float], upstream: [Float]? = nil) -> GELUOutputs {
    let count = x.count
    let dy = upstream ?? [Float](repeating: 1, count: count)
    var out = GELUOutputs(y: [Float](repeating: .nan, count: count), cdf: [Float](repeating: .nan, count: count),
                          dx: [Float](repeating: .nan, count: count), dxFromCDF: [Float](repeating: .nan, count: count))
    x.withUnsafeBufferPointer { x in dy.withUnsafeBufferPointer { dy in
        out.y.withUnsafeMutableBufferPointer { y in out.cdf.withUnsafeMutableBufferPointer { c in
            kernels.geluForward(x.baseAddress!, into: y.baseAddress!, cdf: c.baseAddress!, count: count)
        } }
        out.dx.withUnsafeMutableBufferPointer { dx in
            kernels.geluBackward(input: x.baseAddress!, cdf: nil, dOutput: dy.baseAddress!, into: dx.baseAddress!, count: count)
        }
        out.cdf.withUnsafeBufferPointer { c in out.dxFromCDF.withUnsafeMutableBufferPointer { dx in
            kernels.geluBackward(input: x.baseAddress!, cdf: c.baseAddress!, dOutput: dy.baseAddress!, into: dx.baseAddress!,
                                 count: count)
        } }
    } }
    return out
}

private var runnableKernels: [(KernelPath, any KernelSet.Type)] {
    KernelDispatch.runnablePaths(on: .thisMachine).compactMap { path in KernelDispatch.kernels(for: path).map { (path, $0) } }
}

@Suite struct GELUKernelTests {
    @Test func normalCDFAndGELUAreWithin8UlpOfFloat64() {
        let out = run(KernelDispatch.active, denseGrid)
        var worstCDF = (ulps: 0.0, x: Float.nan), worstGELU = (ulps: 0.0, x: Float.nan), checked = 0
        for (i, x) in denseGrid.enumerated() {
            let phi = cdf64(Double(x)), gelu = Double(x) * phi
            if phi >= Double(Float.leastNormalMagnitude) {
                let error = ulps(out.cdf[i], phi)
                if error > worstCDF.ulps { worstCDF = (error, x) }
                checked += 1
            } else {
                #expect(out.cdf[i] <= Float.leastNormalMagnitude, "Φ(\(x)) = \(out.cdf[i]), float64 \(phi)")
            }
            if abs(gelu) >= Double(Float.leastNormalMagnitude) {
                let error = ulps(out.y[i], gelu)
                if error > worstGELU.ulps { worstGELU = (error, x) }
            } else {
                #expect(abs(out.y[i]) <= Float.leastNormalMagnitude, "gelu(\(x)) = \(out.y[i]), float64 \(gelu)")
            }
        }
        print("Φ: worst \(worstCDF.ulps) ulp at \(worstCDF.x); gelu: worst \(worstGELU.ulps) ulp at \(worstGELU.x); "
              + "\(checked) of \(denseGrid.count) points")
        #expect(checked > denseGrid.count / 2)
        #expect(worstCDF.ulps <= ulpBound, "Φ off by \(worstCDF.ulps) ulp at \(worstCDF.x)")
        #expect(worstGELU.ulps <= ulpBound, "gelu off by \(worstGELU.ulps) ulp at \(worstGELU.x)")
    }

    @Test func geluDerivativeIsWithin8UlpOfItsTerms() {
        let out = run(KernelDispatch.active, denseGrid)
        var worst = (ulps: 0.0, x: Float.nan)
        for (i, x) in denseGrid.enumerated() where x.isFinite {
            let v = Double(x), phi = cdf64(v), term = v * density64(v)
            let scale = abs(phi) + abs(term)
            // Below -normalLimit the derivative is 0; its true value is below 1.1e-37 there.
            guard scale >= Double(Float.leastNormalMagnitude) && x >= -VectorMath.normalLimit else {
                #expect(scale < 1.1e-37 && abs(out.dx[i]) <= Float.leastNormalMagnitude, "gelu'(\(x)) = \(out.dx[i]), float64 \(phi + term)")
                continue
            }
            let error = abs(Double(out.dx[i]) - (phi + term)) / Double(Float(scale).ulp)
            if error > worst.ulps { worst = (error, x) }
        }
        print("gelu': worst \(worst.ulps) ulp of |Φ| + |x φ| at \(worst.x)")
        #expect(worst.ulps <= ulpBound, "gelu' off by \(worst.ulps) ulp at \(worst.x)")
        // Reading Φ back gives the bits computing it again gives.
        #expect(out.dx.map(\.bitPattern) == out.dxFromCDF.map(\.bitPattern))
    }

    @Test func specialValuesAreTheErfForms() {
        let tiny = Float.leastNonzeroMagnitude, small = Float(1e-30)
        let x: [Float] = [0, -0.0, tiny, -tiny, small, -small, 14, -14, 1e30, -1e30, .infinity, -.infinity, .nan, 20, -20]
        for (path, kernels) in runnableKernels {
            let out = run(kernels, x)
            func at(_ value: Float) -> Int { x.firstIndex { $0.bitPattern == value.bitPattern }! }
            for value: Float in [0, -0.0, tiny, -tiny, small, -small] {
                #expect(out.cdf[at(value)] == 0.5, "\(path) Φ(\(value))")
                #expect(out.y[at(value)].bitPattern == (value * 0.5).bitPattern, "\(path) gelu(\(value)) = \(out.y[at(value)])")
                #expect(out.dx[at(value)] == 0.5, "\(path) gelu'(\(value))")
            }
            for value: Float in [14, 20, 1e30] {
                #expect(out.cdf[at(value)] == 1 && out.y[at(value)] == value && out.dx[at(value)] == 1, "\(path) at \(value)")
                #expect(out.cdf[at(-value)] == 0 && out.y[at(-value)] == 0 && out.dx[at(-value)] == 0, "\(path) at \(-value)")
            }
            #expect(out.cdf[at(.infinity)] == 1 && out.y[at(.infinity)] == .infinity, "\(path) at inf")
            #expect(out.cdf[at(-.infinity)] == 0, "\(path) Φ(-inf)")
            // inf * 0 in the erf form, as torch.nn.GELU() gives: NaN, and so is the derivative at ±inf.
            #expect(out.y[at(-.infinity)].isNaN && out.dx[at(-.infinity)].isNaN && out.dx[at(.infinity)].isNaN, "\(path) at ±inf")
            #expect(out.cdf[at(.nan)].isNaN && out.y[at(.nan)].isNaN && out.dx[at(.nan)].isNaN, "\(path) at NaN")
        }
    }

    /// Monotone where Φ is (rounding never makes it step back), and Φ(x) + Φ(-x) = 1 within
    /// an ulp of 1.
    @Test func normalCDFIsMonotoneAndSymmetric() {
        let x = (0...20_000).map { Float($0) * 7e-4 - 7 }
        let out = run(KernelDispatch.active, x)
        for i in 1..<x.count { #expect(out.cdf[i] >= out.cdf[i - 1], "Φ(\(x[i])) < Φ(\(x[i - 1]))") }
        let mirrored = run(KernelDispatch.active, x.map { -$0 })
        for i in x.indices { #expect(abs(out.cdf[i] + mirrored.cdf[i] - 1) <= Float(1).ulp, "Φ(\(x[i])) + Φ(\(-x[i]))") }
    }
}
