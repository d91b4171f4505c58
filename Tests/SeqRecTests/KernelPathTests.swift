import Foundation
import SeqRecKernelAPI
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The kernel builds (v4, v3, portable: Tensor/KernelDispatch.swift) and what may differ
// between them. The choice is tested on synthetic CPUs; the kernels themselves on this CPU:
// every path it runs is compared with the portable build (16 lanes, plain x86-64 instructions)
// on random inputs. On an AVX2 machine that compares v3 (8 lanes) with portable, so the
// 16-lane schedule of v4 runs here too; on an AVX-512 machine v4 is compared as well.
//
//   bitwise equal: every output (cells forward and backward, Adam, gathers and scatters, GELU, the
//     softmax passes' e^z, maxima, shifts and scalings) and the softmax row sums, which every
//     build adds in the 8-lane order. (Were they added in 16 partial sums, two orders of
//     adding n positive terms would agree only within 2 (n - 1) 2^-24 of the sum.)

private let x86Paths: [KernelPath] = [.v4, .v3, .portable]

private func cpu(avx2: Bool = false, fma: Bool = false, f: Bool = false, bw: Bool = false, dq: Bool = false,
                 vl: Bool = false) -> CPUVectorFeatures {
    CPUVectorFeatures(vendor: .intel, family: 6, avx2: avx2, fma: fma, avx512f: f, avx512bw: bw, avx512dq: dq, avx512vl: vl)
}

private let avx2Only = cpu(avx2: true, fma: true)
private let avx512 = cpu(avx2: true, fma: true, f: true, bw: true, dq: true, vl: true)

@Suite struct KernelChoiceTests {
    /// Every combination of the six features: v4 iff all of them, v3 iff AVX2 and FMA, else none.
    @Test func theAutomaticPathFollowsTheFeatures() {
        for bits in 0..<64 {
            let flags = (0..<6).map { bits & (1 << $0) != 0 }
            let features = cpu(avx2: flags[0], fma: flags[1], f: flags[2], bw: flags[3], dq: flags[4], vl: flags[5])
            let expected: KernelPath? = flags.allSatisfy { $0 } ? .v4 : (flags[0] && flags[1] ? .v3 : nil)
            #expect(KernelDispatch.automaticPath(for: features, built: x86Paths) == expected, "\(flags)")
        }
    }

    @Test func aBuildWithOnePathRunsIt() {
        #expect(KernelDispatch.automaticPath(for: cpu(), built: [.portable]) == .portable)
        #expect(KernelDispatch.automaticPath(for: avx512, built: [.portable]) == .portable)
    }

    @Test func anOverrideNamesAPathTheCPURuns() throws {
        let v3 = try KernelDispatch.choose(override: "v3", cpu: avx512, built: x86Paths).get()
        #expect(v3.path == .v3 && v3.chosenBy == "user SEQREC_KERNELS")
        let portable = try KernelDispatch.choose(override: "portable", cpu: avx2Only, built: x86Paths).get()
        #expect(portable.path == .portable)
        for unset in [nil, ""] {
            let automatic = try KernelDispatch.choose(override: unset, cpu: avx2Only, built: x86Paths).get()
            #expect(automatic.path == .v3 && automatic.chosenBy == "cpu")
        }
    }

    @Test func anImpossibleOverrideIsRefusedWithItsReason() {
        func message(_ override: String?, _ features: CPUVectorFeatures, _ built: [KernelPath] = x86Paths) -> String? {
            if case .failure(let error) = KernelDispatch.choose(override: override, cpu: features, built: built) { return error.message }
            return nil
        }
        #expect(message("v4", cpu(avx2: true, fma: true, f: true, vl: true))
                == "SEQREC_KERNELS=v4: this CPU lacks avx512bw, avx512dq, which the v4 kernels need; it runs v3, portable")
        #expect(message("v3", cpu()) == "SEQREC_KERNELS=v3: this CPU lacks avx2, fma, which the v3 kernels need; it runs portable")
        #expect(message("avx512", avx512)
                == "SEQREC_KERNELS=avx512: unknown kernel path; expected one of v4, v3, portable, or unset for the best this CPU runs")
        #expect(message("v4", avx512, [.portable])
                == "SEQREC_KERNELS=v4: this build has no v4 kernels (v3 and v4 are built on x86-64 only); it has portable")
        #expect(message(nil, cpu()) == "this CPU runs none of this build's kernels (v4, v3, portable)")
        #expect(message("V3", avx512) != nil)  // names are exact
    }

    /// Every path this build has is a kernel set that says which path it is.
    @Test func eachBuiltPathIsItsOwnBuild() throws {
        for path in KernelDispatch.builtPaths {
            let kernels = try #require(KernelDispatch.kernels(for: path))
            #expect(kernels.build.path == path.rawValue)
            #expect(kernels.build.lanes == (path == .v3 ? 8 : KernelDispatch.builtPaths == [.portable] ? 8 : 16))
        }
    }

    @Test func theProvenanceNamesThePathThisProcessRuns() throws {
        let info = KernelDispatch.current
        let chosen = try KernelDispatch.selection.get()
        #expect(info.path == chosen.path.rawValue)
        #expect(KernelDispatch.runnablePaths(on: .thisMachine).contains(chosen.path))
        #expect(Provenance.capture(threads: 1).kernels == info)
        #expect(info.summary.hasPrefix("Kernels: \(info.path), "))
    }
}

// MARK: - The builds against the reference

/// The paths to compare with the reference: every one this CPU runs.
private var pathsToCheck: [(KernelPath, any KernelSet.Type)] {
    KernelDispatch.runnablePaths(on: .thisMachine).compactMap { path in KernelDispatch.kernels(for: path).map { (path, $0) } }
}

private var reference: any KernelSet.Type { KernelDispatch.kernels(for: .portable)! }

private func randomValues(_ count: Int, _ rng: inout SeededGenerator, _ low: Float = -3, _ high: Float = 3) -> [Float] {
    (0..<count).map { _ in rng.nextFloat(in: low, high) }
}

/// The positions where two buffers differ in their bits (NaN-safe, -0 != +0).
private func bitwiseDifferences(_ a: [Float], _ b: [Float]) -> [Int] {
    precondition(a.count == b.count)
    return a.indices.filter { a[$0].bitPattern != b[$0].bitPattern }
}

private let hiddenSizes = [1, 3, 8, 13, 16, 17, 33, 50]

/// A recurrent step's buffers, filled at random; each path runs on its own copy.
private struct StepBuffers {
    var gates, recurrent, bias, recurrentBias, hPrev, hNext, cPrev, cNext, cellTanh, dOut, dhCarry, dcCarry: [Float]
    let mask: [Bool]

    init(batch: Int, hidden: Int, gateCount: Int, rng: inout SeededGenerator) {
        let width = gateCount * hidden
        gates = randomValues(batch * width, &rng)
        recurrent = randomValues(batch * width, &rng)
        bias = randomValues(width, &rng)
        recurrentBias = randomValues(width, &rng)
        hPrev = randomValues(batch * hidden, &rng, -1, 1)
        hNext = randomValues(batch * hidden, &rng)
        cPrev = randomValues(batch * hidden, &rng)
        cNext = randomValues(batch * hidden, &rng)
        cellTanh = randomValues(batch * hidden, &rng, -1, 1)
        dOut = randomValues(batch * hidden, &rng)
        dhCarry = randomValues(batch * hidden, &rng)
        dcCarry = randomValues(batch * hidden, &rng)
        mask = (0..<batch).map { $0 % 3 != 1 }  // row 1 is a padded step
    }

    var outputs: [[Float]] { [gates, recurrent, hNext, cNext, cellTanh, dhCarry, dcCarry] }

    mutating func forward(_ kernels: any KernelSet.Type, cell: CellKind, hidden: Int, withBias: Bool) {
        let batch = mask.count
        let bias = self.bias, recurrentBias = self.recurrentBias, hPrev = self.hPrev, cPrev = self.cPrev, mask = self.mask
        bias.withUnsafeBufferPointer { b in recurrentBias.withUnsafeBufferPointer { rb in hPrev.withUnsafeBufferPointer { hp in
        cPrev.withUnsafeBufferPointer { cp in mask.withUnsafeBufferPointer { m in
        gates.withUnsafeMutableBufferPointer { g in recurrent.withUnsafeMutableBufferPointer { r in
        hNext.withUnsafeMutableBufferPointer { hn in cNext.withUnsafeMutableBufferPointer { cn in
        cellTanh.withUnsafeMutableBufferPointer { ct in
            let step = RecurrentForwardStep(batch: batch, hidden: hidden, gates: g.baseAddress!, recurrent: r.baseAddress!,
                                            bias: withBias ? b.baseAddress! : nil, recurrentBias: rb.baseAddress!,
                                            hPrev: hp.baseAddress!, hNext: hn.baseAddress!, cPrev: cp.baseAddress!,
                                            cNext: cn.baseAddress!, cellTanh: ct.baseAddress!, mask: m.baseAddress!)
            switch cell {
            case .lstm: kernels.lstmForward(step)
            case .gru: kernels.gruForward(step)
            default: kernels.rnnForward(step)
            }
        } } } } } } } } } }
    }

    mutating func backward(_ kernels: any KernelSet.Type, cell: CellKind, hidden: Int) {
        let batch = mask.count
        let hPrev = self.hPrev, hNext = self.hNext, cPrev = self.cPrev, cellTanh = self.cellTanh, dOut = self.dOut, mask = self.mask
        hPrev.withUnsafeBufferPointer { hp in hNext.withUnsafeBufferPointer { hn in cPrev.withUnsafeBufferPointer { cp in
        cellTanh.withUnsafeBufferPointer { ct in dOut.withUnsafeBufferPointer { d in mask.withUnsafeBufferPointer { m in
        gates.withUnsafeMutableBufferPointer { g in recurrent.withUnsafeMutableBufferPointer { r in
        dhCarry.withUnsafeMutableBufferPointer { dh in dcCarry.withUnsafeMutableBufferPointer { dc in
            let step = RecurrentBackwardStep(batch: batch, hidden: hidden, gates: g.baseAddress!, recurrent: r.baseAddress!,
                                             hPrev: hp.baseAddress!, hNext: hn.baseAddress!, cPrev: cp.baseAddress!,
                                             cellTanh: ct.baseAddress!, dOut: d.baseAddress!, dhCarry: dh.baseAddress!,
                                             dcCarry: dc.baseAddress!, mask: m.baseAddress!)
            switch cell {
            case .lstm: kernels.lstmBackward(step)
            case .gru: kernels.gruBackward(step)
            default: kernels.rnnBackward(step)
            }
        } } } } } } } } } }
    }
}

@Suite struct KernelPathEquivalenceTests {
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func cellStepsAreBitwiseEqualOnEveryPath(cell: CellKind) {
        let gateCount = cell == .lstm ? 4 : cell == .gru ? 3 : 1
        var rng = SeededGenerator(seed: 11, stream: "kernel paths \(cell)")
        for hidden in hiddenSizes {
            for withBias in [false, true] {
                // Activations for backward come from a forward pass (gates in their ranges).
                let start = StepBuffers(batch: 4, hidden: hidden, gateCount: gateCount, rng: &rng)
                var expectedForward = start
                expectedForward.forward(reference, cell: cell, hidden: hidden, withBias: withBias)
                var expectedBackward = expectedForward
                expectedBackward.backward(reference, cell: cell, hidden: hidden)
                for (path, kernels) in pathsToCheck {
                    var forward = start
                    forward.forward(kernels, cell: cell, hidden: hidden, withBias: withBias)
                    var backward = forward
                    backward.backward(kernels, cell: cell, hidden: hidden)
                    for (index, (mine, theirs)) in zip(forward.outputs, expectedForward.outputs).enumerated() {
                        #expect(bitwiseDifferences(mine, theirs).isEmpty, "\(path) \(cell) forward H=\(hidden) bias=\(withBias) buffer \(index)")
                    }
                    for (index, (mine, theirs)) in zip(backward.outputs, expectedBackward.outputs).enumerated() {
                        #expect(bitwiseDifferences(mine, theirs).isEmpty, "\(path) \(cell) backward H=\(hidden) bias=\(withBias) buffer \(index)")
                    }
                }
            }
        }
    }

    @Test func adamIsBitwiseEqualOnEveryPath() {
        var rng = SeededGenerator(seed: 12, stream: "kernel paths adam")
        var c = AdamStepConstants()
        c.l2 = 0.01; c.shrink = 0.999; c.oneMinusBeta1 = 0.1; c.beta2 = 0.999; c.oneMinusBeta2 = 0.001
        c.inverseRoot2 = 1 / Float(0.001).squareRoot(); c.eps = 1e-8; c.negStep = -0.01
        c.sparseNegStep = -0.003; c.sparseKeep1 = 0.1; c.sparseKeep2 = 0.001
        for count in [1, 5, 8, 16, 37, 1000] {
            let start = (randomValues(count, &rng), randomValues(count, &rng), randomValues(count, &rng),
                         randomValues(count, &rng, 0, 2))
            func run(_ kernels: any KernelSet.Type, _ form: Int) -> [[Float]] {
                var (p, g, m, v) = start
                p.withUnsafeMutableBufferPointer { p in g.withUnsafeMutableBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in v.withUnsafeMutableBufferPointer { v in
                    if form == 2 {
                        kernels.adamRow(c, values: p.baseAddress!, grads: g.baseAddress!, means: m.baseAddress!, squares: v.baseAddress!, count: count)
                    } else {
                        kernels.adamDense(c, decay: form == 1, values: p.baseAddress!, grads: g.baseAddress!, means: m.baseAddress!,
                                          squares: v.baseAddress!, count: count)
                    }
                } } } }
                return [p, m, v]
            }
            for form in 0..<3 {
                let expected = run(reference, form)
                #expect(expected[0] != start.0)  // the step moved the values
                for (path, kernels) in pathsToCheck {
                    for (index, (mine, theirs)) in zip(run(kernels, form), expected).enumerated() {
                        #expect(bitwiseDifferences(mine, theirs).isEmpty, "\(path) adam form \(form) count \(count) buffer \(index)")
                    }
                }
            }
        }
    }

    @Test func gathersAndScattersAreBitwiseEqualOnEveryPath() {
        var rng = SeededGenerator(seed: 13, stream: "kernel paths rows")
        let (rows, batch, steps) = (6, 3, 4)
        for width in [1, 7, 16, 50, 200] {
            let table = randomValues(rows * width, &rng)
            // Repeats (the order of the sums counts) and padding (id 0, skipped by the scatter).
            let ids: [Int32] = (0..<batch * steps).map { Int32($0 % 5 == 0 ? 0 : rng.nextInt(below: rows)) }
            let gradients = randomValues(steps * batch * width, &rng)
            func run(_ kernels: any KernelSet.Type) -> ([Float], [Float]) {
                var gathered = [Float](repeating: .nan, count: steps * batch * width)
                var accumulated = table
                table.withUnsafeBufferPointer { t in ids.withUnsafeBufferPointer { i in gradients.withUnsafeBufferPointer { d in
                gathered.withUnsafeMutableBufferPointer { o in accumulated.withUnsafeMutableBufferPointer { a in
                    kernels.gatherRows(table: t.baseAddress!, width: width, ids: i.baseAddress!, idStride: steps, batch: batch,
                                       steps: steps, into: o.baseAddress!)
                    kernels.scatterAddRows(d.baseAddress!, width: width, ids: i.baseAddress!, idStride: steps, batch: batch,
                                           steps: steps, into: a.baseAddress!)
                } } } } }
                return (gathered, accumulated)
            }
            let expected = run(reference)
            // The reference is what the layouts say.
            #expect(expected.0[(2 * batch + 1) * width] == table[Int(ids[1 * steps + 2]) * width])
            #expect(Array(expected.1.prefix(width)) == Array(table.prefix(width)))  // row 0 (padding) untouched
            for (path, kernels) in pathsToCheck {
                let mine = run(kernels)
                #expect(bitwiseDifferences(mine.0, expected.0).isEmpty, "\(path) gather width \(width)")
                #expect(bitwiseDifferences(mine.1, expected.1).isEmpty, "\(path) scatter width \(width)")
            }
        }
    }

    /// GELU forward (with and without Φ kept) and backward (Φ read back or recomputed), in place
    /// and not, over the normal tail's whole range and past it.
    @Test func geluIsBitwiseEqualOnEveryPath() {
        var rng = SeededGenerator(seed: 15, stream: "kernel paths gelu")
        for count in [1, 7, 8, 15, 16, 17, 100, 1000] {
            var x = randomValues(count, &rng, -15, 15)
            if count > 5 { x[1] = -.infinity; x[3] = .nan; x[4] = -0.0; x[5] = 1e-30 }
            let dy = randomValues(count, &rng)
            func run(_ kernels: any KernelSet.Type) -> [[Float]] {
                var y = [Float](repeating: 0, count: count), cdf = y, yNoCDF = y, dx = y, dxFromCDF = y, inPlace = x
                x.withUnsafeBufferPointer { x in dy.withUnsafeBufferPointer { dy in
                    y.withUnsafeMutableBufferPointer { y in cdf.withUnsafeMutableBufferPointer { c in
                        kernels.geluForward(x.baseAddress!, into: y.baseAddress!, cdf: c.baseAddress!, count: count)
                    } }
                    yNoCDF.withUnsafeMutableBufferPointer { kernels.geluForward(x.baseAddress!, into: $0.baseAddress!, cdf: nil, count: count) }
                    dx.withUnsafeMutableBufferPointer {
                        kernels.geluBackward(input: x.baseAddress!, cdf: nil, dOutput: dy.baseAddress!, into: $0.baseAddress!, count: count)
                    }
                    cdf.withUnsafeBufferPointer { c in dxFromCDF.withUnsafeMutableBufferPointer {
                        kernels.geluBackward(input: x.baseAddress!, cdf: c.baseAddress!, dOutput: dy.baseAddress!,
                                             into: $0.baseAddress!, count: count)
                    } }
                    inPlace.withUnsafeMutableBufferPointer { kernels.geluForward($0.baseAddress!, into: $0.baseAddress!, cdf: nil, count: count) }
                } }
                return [y, cdf, yNoCDF, dx, dxFromCDF, inPlace]
            }
            let expected = run(reference)
            #expect(bitwiseDifferences(expected[0], expected[2]).isEmpty && bitwiseDifferences(expected[0], expected[5]).isEmpty)
            #expect(bitwiseDifferences(expected[3], expected[4]).isEmpty)
            #expect(expected[1].allSatisfy { $0.isNaN || ($0 >= 0 && $0 <= 1) })
            for (path, kernels) in pathsToCheck {
                for (index, (mine, theirs)) in zip(run(kernels), expected).enumerated() {
                    #expect(bitwiseDifferences(mine, theirs).isEmpty, "\(path) gelu buffer \(index), count \(count)")
                }
            }
        }
    }

    @Test func softmaxPassesAndTheirRowSumsAreBitwiseEqual() {
        var rng = SeededGenerator(seed: 14, stream: "kernel paths softmax")
        for count in [1, 7, 8, 15, 16, 17, 100, 1683] {
            var logits = randomValues(count, &rng, -20, 20)
            if count > 3 { logits[2] = -.infinity }  // a masked column
            let bias = randomValues(count, &rng, -5, 5)
            let sums = randomValues(count, &rng)
            struct Outcome { var values: [[Float]]; var scalars: [Float]; var rowSums: [Float] }
            func run(_ kernels: any KernelSet.Type) -> Outcome {
                var shifted = logits, biased = logits, exponentiated = logits, scaled = logits, accumulated = logits
                var columnSums = sums
                var scalars: [Float] = [], rowSums: [Float] = []
                logits.withUnsafeBufferPointer { z in bias.withUnsafeBufferPointer { b in
                    let maximum = kernels.rowMaximum(z.baseAddress!, count: count)
                    scalars.append(maximum)
                    shifted.withUnsafeMutableBufferPointer {
                        rowSums.append(kernels.exponentiateShifted($0.baseAddress!, count: count, shift: maximum))
                    }
                    biased.withUnsafeMutableBufferPointer {
                        scalars.append(kernels.addBiasAndMaximum($0.baseAddress!, bias: b.baseAddress!, count: count))
                    }
                    exponentiated.withUnsafeMutableBufferPointer {
                        let (sum, maximum) = kernels.exponentiateWithBias($0.baseAddress!, bias: b.baseAddress!, count: count)
                        rowSums.append(sum)
                        scalars.append(maximum)
                    }
                    scaled.withUnsafeMutableBufferPointer { kernels.scaleRow($0.baseAddress!, count: count, by: 0.37) }
                    accumulated.withUnsafeMutableBufferPointer { row in columnSums.withUnsafeMutableBufferPointer {
                        kernels.scaleRowAndAccumulate(row.baseAddress!, count: count, by: -1.3, into: $0.baseAddress!)
                    } }
                } }
                return Outcome(values: [shifted, biased, exponentiated, scaled, accumulated, columnSums], scalars: scalars, rowSums: rowSums)
            }
            let expected = run(reference)
            #expect(expected.scalars[0] == logits.max())
            // The sum is the 8-lane order's: 8 partial sums over the full 8-float chunks, then the rest.
            let exponentials = expected.values[0]
            let fullChunks = count / 8 * 8
            var partial = [Float](repeating: 0, count: 8)
            for j in 0..<fullChunks { partial[j % 8] += exponentials[j] }
            var sum = SIMD8<Float>(partial).sum()
            for j in fullChunks..<count { sum += exponentials[j] }
            #expect(expected.rowSums[0] == sum, "\(count) columns")
            for (path, kernels) in pathsToCheck {
                let mine = run(kernels)
                for (index, (values, theirs)) in zip(mine.values, expected.values).enumerated() {
                    #expect(bitwiseDifferences(values, theirs).isEmpty, "\(path) softmax pass \(index), \(count) columns")
                }
                #expect(mine.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern), "\(path) maxima, \(count) columns")
                #expect(mine.rowSums.map(\.bitPattern) == expected.rowSums.map(\.bitPattern),
                        "\(path) row sums \(mine.rowSums) vs \(expected.rowSums), \(count) columns")
            }
        }
    }
}
