// `seqrec-bench gelu`: GELU forward (keeping Φ) + backward (reading Φ back), as a BERT4Rec
// training step runs it, on N pre-activations ~ N(0, 1): the kernels this process runs
// (Sources/SeqRecKernels/GELUKernels.swift) against the scalar form they replace (Double per
// element through libm's erf and exp, Φ kept in Doubles), alternated in the same process.
// CPU time of this thread, best and median of the iterations; the ratio is what to compare.
//
//   seqrec-bench gelu [--count 1048576] [--iterations 20]

import Foundation
import SeqRec

enum GELUBench {
    static func run(arguments: [String]) {
        var count = 1 << 20, iterations = 20
        BenchOptions.forEach(arguments) { option, value in
            switch option {
            case "--count": count = Int(value) ?? count
            case "--iterations": iterations = Int(value) ?? iterations
            default: return false
            }
            return true
        }
        var rng = SeededGenerator(seed: 3)
        // About N(0, 1): the sum of 12 uniforms minus 6.
        func normal() -> Float { (0..<12).reduce(Float(-6)) { sum, _ in sum + rng.nextFloat(in: 0, 1) } }
        let x = (0..<count).map { _ in normal() }, dy = (0..<count).map { _ in normal() }
        var y = [Float](repeating: 0, count: count), dx = y, cdf = y
        var cdf64 = [Double](repeating: 0, count: count)
        let kernels = KernelDispatch.active
        var scalar: [Double] = [], vector: [Double] = []
        x.withUnsafeBufferPointer { x in dy.withUnsafeBufferPointer { dy in
        y.withUnsafeMutableBufferPointer { y in dx.withUnsafeMutableBufferPointer { dx in
        cdf.withUnsafeMutableBufferPointer { cdf in cdf64.withUnsafeMutableBufferPointer { cdf64 in
            let (x, dy, y, dx, cdf, cdf64) = (x.baseAddress!, dy.baseAddress!, y.baseAddress!, dx.baseAddress!,
                                              cdf.baseAddress!, cdf64.baseAddress!)
            for iteration in 0...iterations {  // iteration 0 warms up
                let old = milliseconds {
                    ScalarGELU.forward(x, into: y, savingCDF: cdf64, count: count)
                    ScalarGELU.backward(input: x, cdf: cdf64, dOutput: dy, into: dx, count: count)
                }
                let new = milliseconds {
                    kernels.geluForward(x, into: y, cdf: cdf, count: count)
                    kernels.geluBackward(input: x, cdf: cdf, dOutput: dy, into: dx, count: count)
                }
                if iteration > 0 {
                    scalar.append(old)
                    vector.append(new)
                }
            }
        } } } } } }
        func summary(_ times: [Double]) -> (best: Double, median: Double) {
            let sorted = times.sorted()
            return (sorted[0], sorted[sorted.count / 2])
        }
        let (old, new) = (summary(scalar), summary(vector))
        let perMillion = 1e6 / Double(count)
        print("GELU forward + backward, \(count) values, \(iterations) iterations, CPU ms per 1M values (best / median); "
              + KernelDispatch.current.summary)
        print(String(format: "scalar Double (libm erf, exp): %.2f / %.2f", old.best * perMillion, old.median * perMillion))
        print(String(format: "kernels (%@, %d lanes):        %.2f / %.2f", KernelDispatch.current.path, KernelDispatch.current.lanes,
                     new.best * perMillion, new.median * perMillion))
        print(String(format: "speed-up: %.1fx (best), %.1fx (median)", old.best / new.best, old.median / new.median))
    }
}

/// The scalar form the kernels replace, kept here as the baseline.
private enum ScalarGELU {
    static func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, savingCDF cdf: UnsafeMutablePointer<Double>,
                        count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            let phi = 0.5 * (1 + erf(v / 2.0.squareRoot()))
            cdf[i] = phi
            y[i] = Float(v * phi)
        }
    }

    static func backward(input x: UnsafePointer<Float>, cdf: UnsafePointer<Double>, dOutput dy: UnsafePointer<Float>,
                         into dx: UnsafeMutablePointer<Float>, count: Int) {
        let inverseSqrt2Pi = 1 / (2 * Double.pi).squareRoot()
        for i in 0..<count {
            let v = Double(x[i])
            dx[i] = Float(Double(dy[i]) * (cdf[i] + v * (inverseSqrt2Pi * exp(-0.5 * v * v))))
        }
    }
}
