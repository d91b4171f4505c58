// Finite-difference gradient checks that hold on any CPU and BLAS kernel.
//
// The models compute in Float, so the loss carries rounding noise whose size δ depends on the
// machine's kernels (summation order, vector width, FMA). A central difference with half-step
// h inherits an error of about δ/h from it, on top of its truncation error h²·f'''/6, so a
// fixed tolerance that fits one CPU is a hair-trigger on another (a SASRec case missed
// 1e-3 + 1e-2·|a| by 1%, deterministically, with OpenBLAS's Prescott kernels). Here δ is
// measured on the machine that runs the test, from the loss itself: the k-th differences
// (k = 3...6) of f at seven points spaced s ≈ h/4 apart are rounding noise (the smooth part,
// f⁽ᵏ⁾·sᵏ, is far below it), and for independent noise of standard deviation δ,
// E[(Δᵏf)²] = C(2k, k)·δ² (Moré & Wild, "Estimating computational noise", 2011). Then
//
//     |analytic - numeric| <= absolute + relative * max(|analytic|, |numeric|) + noiseFactor * δ / h
//
// for each coordinate, and a like bound on the root mean square over the tensor (see verify).
// The central difference's own noise has standard deviation δ/(√2·h), so noiseFactor 6 is
// about 8.5 of them; `absolute` covers the truncation error, `relative` the rest. A wrong
// formula still fails: the rounding part widens the bound only by what the loss's measured
// rounding explains, and it never depends on the analytic gradient.

import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// Values a finite difference perturbs one at a time: a parameter tensor or an input array.
struct PerturbableValues {
    let name: String
    let count: Int
    let get: (Int) -> Float
    let set: (Int, Float) -> Void

    init(name: String, count: Int, get: @escaping (Int) -> Float, set: @escaping (Int, Float) -> Void) {
        self.name = name
        self.count = count
        self.get = get
        self.set = set
    }

    init(_ parameter: Parameter) {
        self.init(name: parameter.name, count: parameter.count,
                  get: { parameter.value[$0] }, set: { parameter.value[$0] = $1 })
    }
}

struct FiniteDifferenceCheck {
    /// The half-step h of the central difference (f(x + h) - f(x - h)) / 2h.
    var step: Float
    var absolute: Double
    var relative: Double
    var noiseFactor: Double = 6
    /// The loss at the current values (reads them through whatever `PerturbableValues` set).
    let loss: () -> Double

    /// The central difference at one element with half-step `step`, divided by the step
    /// actually taken (x ± h rounded to Float); the element is restored afterwards.
    func centralDifference(of values: PerturbableValues, at index: Int, step: Float) -> Double {
        let original = values.get(index)
        let above = original + step, below = original - step
        values.set(index, above)
        let plus = loss()
        values.set(index, below)
        let minus = loss()
        values.set(index, original)
        return (plus - minus) / (Double(above) - Double(below))
    }

    /// The loss's rounding noise δ (a standard deviation) when elements of `values` change: the
    /// largest estimate over the (up to) six elements with the largest numeric gradients, those
    /// that reach the loss through the most operations (an element the loss does not depend
    /// on, such as a padding row, would say "no noise").
    func noise(of values: PerturbableValues, numeric: [Double]) -> Double {
        let probes = numeric.indices.sorted { abs(numeric[$0]) > abs(numeric[$1]) }.prefix(6)
        return probes.map { noise(of: values, at: $0) }.max() ?? 0
    }

    /// ECnoise at one element: f at b + i·s, i = -3...3, with s a power of two near h/4 (small
    /// enough for the smooth part of f to vanish from the differences, large enough for every
    /// point to round differently) and b the element rounded to a multiple of s, so that every
    /// point is exactly representable; the estimates of δ² from the differences of order
    /// k = 3...6 are averaged.
    private func noise(of values: PerturbableValues, at index: Int) -> Double {
        let original = values.get(index)
        let spacing = Float(sign: .plus, exponent: (step / 4).exponent, significand: 1)
        let base = (original / spacing).rounded() * spacing
        var differences: [Double] = (-3...3).map { i in
            values.set(index, base + Float(i) * spacing)
            return loss()
        }
        values.set(index, original)
        var squares: [Double] = []
        for order in 1...6 {
            differences = zip(differences.dropFirst(), differences).map { $0 - $1 }
            guard order >= 3 else { continue }
            // γ_k = (k!)² / (2k)! turns the mean squared k-th difference into δ².
            let gamma = (1...order).reduce(1.0) { $0 * Double($1) / Double(order + $1) }
            squares.append(gamma * differences.reduce(0) { $0 + $1 * $1 } / Double(differences.count))
        }
        return (squares.reduce(0, +) / Double(squares.count)).squareRoot()
    }

    /// Checks `analytic` against central differences of `values`:
    /// - each coordinate within absolute + relative * max(|a|, |n|) + noiseFactor * δ/h. One
    ///   that misses it is tried again with h/4 (and a rounding part 4 times larger): a kink of
    ///   the loss (a ReLU input crossing 0) within h of the point spoils a difference at h
    ///   but not the analytic gradient;
    /// - the root mean square of the differences within absolute + relative * RMS(gradient)
    ///   plus (2 + 4/√N) times the RMS the rounding alone gives, δ/(√2·h): a small error
    ///   common to a whole tensor (a term scaled by 1.01) shows here before it shows in any
    ///   single coordinate.
    /// Records one issue per failure; returns how many coordinates were checked.
    @discardableResult
    func verify(_ analytic: [Float], of values: PerturbableValues, label: String,
                sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        precondition(analytic.count == values.count, "\(values.name): \(analytic.count) gradients for \(values.count) values")
        let analytic = analytic.map(Double.init)
        var numeric = (0..<values.count).map { centralDifference(of: values, at: $0, step: step) }
        let delta = noise(of: values, numeric: numeric)
        func bound(_ a: Double, _ n: Double, step: Float) -> Double {
            absolute + relative * max(abs(a), abs(n)) + noiseFactor * delta / Double(step)
        }
        var steps = [Float](repeating: step, count: values.count)
        for index in analytic.indices where abs(analytic[index] - numeric[index]) > bound(analytic[index], numeric[index], step: step) {
            steps[index] = step / 4
            numeric[index] = centralDifference(of: values, at: index, step: steps[index])
            let (a, n) = (analytic[index], numeric[index])
            #expect(abs(a - n) <= bound(a, n, step: steps[index]),
                    "\(label) \(values.name)[\(index)]: analytic \(a), numeric \(n) (h = \(steps[index])), difference \(abs(a - n)) > bound \(bound(a, n, step: steps[index])), of which rounding \(noiseFactor * delta / Double(steps[index]))",
                    sourceLocation: sourceLocation)
        }
        let count = Double(values.count)
        func rms(_ x: [Double]) -> Double { (x.reduce(0) { $0 + $1 * $1 } / count).squareRoot() }
        let rmsDifference = rms(zip(analytic, numeric).map { $0 - $1 })
        let rmsRounding = rms(steps.map { delta / (2.0.squareRoot() * Double($0)) })
        let rmsBound = absolute + relative * max(rms(analytic), rms(numeric)) + (2 + 4 / count.squareRoot()) * rmsRounding
        #expect(rmsDifference <= rmsBound,
                "\(label) \(values.name): root mean square difference \(rmsDifference) > bound \(rmsBound) over \(values.count) coordinates",
                sourceLocation: sourceLocation)
        return values.count
    }

    @discardableResult
    func verify(_ parameter: Parameter, label: String, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        verify(parameter.gradArray, of: PerturbableValues(parameter), label: label, sourceLocation: sourceLocation)
    }
}
