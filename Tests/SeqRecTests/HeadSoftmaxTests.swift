import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// Runs the full-softmax layer on array inputs; returns (mean loss, N, dHidden).
private func softmaxLoss(_ layer: SoftmaxOutputLayer, hidden: [Float], targets: [Int32]) -> (Double, Int, [Float]) {
    var dHidden = [Float](repeating: 0, count: hidden.count)
    let result = hidden.withUnsafeBufferPointer { h in
        targets.withUnsafeBufferPointer { t in
            dHidden.withUnsafeMutableBufferPointer { d in
                layer.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: d.baseAddress!)
            }
        }
    }
    return (result.loss, result.targets, dHidden)
}

/// Reference mean cross-entropy in Double: logits = h W^T + b over all classes.
private func referenceLoss(_ layer: SoftmaxOutputLayer, hidden: [Float], targets: [Int32]) -> Double {
    let h = layer.inputSize, v = layer.classes
    var total = 0.0, n = 0
    for (row, target) in targets.enumerated() where target != 0 {
        let logits = (0..<v).map { j in
            (0..<h).reduce(Double(layer.bias!.value[j])) {
                $0 + Double(hidden[row * h + $1]) * Double(layer.weight.value[j * h + $1])
            }
        }
        let m = logits.max()!
        total += m + log(logits.reduce(0) { $0 + exp($1 - m) }) - logits[Int(target)]
        n += 1
    }
    return total / Double(n)
}

@Test func softmaxLossMatchesDoubleReference() {
    var rng = SeededGenerator(seed: 1)
    let layer = SoftmaxOutputLayer(classes: 19, inputSize: 5, rng: &rng)
    let hidden = HeadTestSupport.uniformValues(6 * 5, &rng, scale: 2)
    let targets: [Int32] = [3, 0, 18, 1, 0, 7]
    let (loss, n, _) = softmaxLoss(layer, hidden: hidden, targets: targets)
    #expect(n == 4)
    #expect(abs(loss - referenceLoss(layer, hidden: hidden, targets: targets)) < 1e-6)
}

@Test func softmaxGradientsMatchFiniteDifferences() {
    var rng = SeededGenerator(seed: 2)
    // 11 classes: one 8-lane block plus a tail in every softmax row.
    let layer = SoftmaxOutputLayer(classes: 11, inputSize: 5, rng: &rng)
    var hidden = HeadTestSupport.uniformValues(6 * 5, &rng, scale: 1.5)
    let targets: [Int32] = [3, 0, 10, 1, 0, 3]
    let (_, _, dHidden) = softmaxLoss(layer, hidden: hidden, targets: targets)
    let weightGrad = layer.weight.gradArray, biasGrad = layer.bias!.gradArray
    let loss = { softmaxLoss(layer, hidden: hidden, targets: targets).0 }
    // Rows without a target get exactly zero gradient.
    #expect((5..<10).allSatisfy { dHidden[$0] == 0 } && (20..<25).allSatisfy { dHidden[$0] == 0 })
    let check = HeadTestSupport.gradientCheck(loss: loss)
    check.verify(dHidden, of: PerturbableValues(name: "hidden", count: hidden.count, get: { hidden[$0] }, set: { hidden[$0] = $1 }), label: "softmax")
    check.verify(weightGrad, of: PerturbableValues(layer.weight), label: "softmax")
    check.verify(biasGrad, of: PerturbableValues(layer.bias!), label: "softmax")
}

@Test func softmaxGradientsAccumulateAcrossCalls() {
    var rng = SeededGenerator(seed: 3)
    let layer = SoftmaxOutputLayer(classes: 9, inputSize: 4, rng: &rng)
    let hidden = HeadTestSupport.uniformValues(3 * 4, &rng)
    let targets: [Int32] = [1, 2, 8]
    _ = softmaxLoss(layer, hidden: hidden, targets: targets)
    let once = layer.weight.gradArray
    _ = softmaxLoss(layer, hidden: hidden, targets: targets)
    #expect(zip(layer.weight.gradArray, once).allSatisfy { abs($0 - 2 * $1) <= 1e-6 * max(1, abs($1)) })
}

@Test func softmaxWithoutTargetsIsZeroLossAndNoGradient() {
    var rng = SeededGenerator(seed: 4)
    let layer = SoftmaxOutputLayer(classes: 9, inputSize: 4, rng: &rng)
    let (loss, n, dHidden) = softmaxLoss(layer, hidden: HeadTestSupport.uniformValues(8, &rng), targets: [0, 0])
    #expect(loss == 0 && n == 0 && dHidden.allSatisfy { $0 == 0 })
    #expect(layer.weight.gradArray.allSatisfy { $0 == 0 })
}

@Test func logSumExpIsStableForHugeLogits() {
    // Row [1e4, 1e4 + 1, 1e4 + 2, -1e38, 1e38 / 2 - ...]: naive exp overflows at 89.
    for (offset, target) in [(Float(1e4), Int32(0)), (Float(-1e4), Int32(2)), (Float(3e37), Int32(1))] {
        var logits: [Float] = [offset, offset + 1, offset + 2, -3e38]
        if offset == 3e37 { logits = [offset, offset, offset, -3e38] }
        let expected: Double = offset == 3e37
            ? log(3.0)
            : log(1 + M_E + M_E * M_E) - Double(logits[Int(target)] - offset)
        let targets: [Int32] = [target]
        let loss = logits.withUnsafeMutableBufferPointer { z in
            targets.withUnsafeBufferPointer { t in
                SoftmaxCrossEntropy.lossAndGradientInPlace(
                    logits: z.baseAddress!, rows: 1, columns: 4, targetColumns: t.baseAddress!, gradientScale: 1)
            }
        }
        #expect(loss.isFinite && abs(loss - expected) < 1e-5, "offset \(offset): \(loss) vs \(expected)")
        #expect(logits.allSatisfy { $0.isFinite })
        #expect(abs(logits.reduce(0, +)) < 1e-6, "softmax - onehot sums to 0")
        #expect(logits[3] == 0)
    }
}

@Test func maskedLogitsGetExactlyZeroProbability() {
    var logits: [Float] = [0.5, -.infinity, 1.5, -.infinity, 0, 0, 0, 0, 0, 2]
    let targets: [Int32] = [2]
    _ = logits.withUnsafeMutableBufferPointer { z in
        targets.withUnsafeBufferPointer { SoftmaxCrossEntropy.lossAndGradientInPlace(
            logits: z.baseAddress!, rows: 1, columns: 10, targetColumns: $0.baseAddress!, gradientScale: 1) }
    }
    #expect(logits[1] == 0 && logits[3] == 0)
}

@Test func softmaxExpIsAccurateOverItsRange() {
    var worst = 0.0
    var worstAt: Float = 0
    var x: Float = -86.9
    while x < 87.9 {  // inputs are clamped at 88 (softmax passes only x <= 0)
        let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0123 })
        let result = VectorMath.expOrZero(lanes)
        for lane in 0..<8 {
            let exact = Foundation.exp(Double(lanes[lane]))
            let error = abs(Double(result[lane]) - exact) / exact
            if error > worst { worst = error; worstAt = lanes[lane] }
        }
        x += 0.0987
    }
    #expect(worst < 1e-6, "worst relative error \(worst) at \(worstAt)")
}

@Test func softmaxExpIsZeroBelowTheSaturationPoint() {
    let values = VectorMath.expOrZero(SIMD8<Float>(-.infinity, -1000, -87.5, 0, 1, -1, -86, -20))
    #expect(values[0] == 0 && values[1] == 0 && values[2] == 0 && values[3] == 1)
    #expect(abs(values[4] - Float(M_E)) < 1e-6 && abs(values[5] - Float(exp(-1.0))) < 1e-7)
    #expect(values[6] > 0 && abs(Double(values[6]) - exp(-86.0)) / exp(-86.0) < 1e-5)
}

@Test func scoresAreTheAffineLogits() {
    var rng = SeededGenerator(seed: 5)
    let layer = SoftmaxOutputLayer(classes: 10, inputSize: 3, rng: &rng)
    let hidden = HeadTestSupport.uniformValues(2 * 3, &rng)
    let scores = layer.scores(hidden: hidden)
    #expect(scores.count == 20)
    for row in 0..<2 {
        for j in 0..<10 {
            let expected = (0..<3).reduce(layer.bias!.value[j]) { $0 + hidden[row * 3 + $1] * layer.weight.value[j * 3 + $1] }
            #expect(abs(scores[row * 10 + j] - expected) < 1e-6)
        }
    }
}

@Test func outputLayerInitMatchesPyTorchBounds() {
    var rng = SeededGenerator(seed: 6)
    let layer = SoftmaxOutputLayer(classes: 500, inputSize: 16, rng: &rng)
    #expect(layer.weight.name == "output.weight" && layer.weight.shape == [500, 16])
    #expect(layer.bias!.name == "output.bias" && layer.bias!.shape == [500])
    let all = layer.weight.valueArray + layer.bias!.valueArray
    #expect(all.allSatisfy { abs($0) <= 0.25 })
    #expect(all.max()! > 0.24 && all.min()! < -0.24)
}

/// Loss and every gradient of the full-softmax layer in Double, straight from the formulas:
/// dz = (softmax(z) - onehot) / N, dW = dz^T x, db = column sums of dz, dx = dz W.
private func referenceGradients(_ layer: SoftmaxOutputLayer, hidden: [Float], targets: [Int32])
    -> (loss: Double, weight: [Double], bias: [Double], hidden: [Double]) {
    let h = layer.inputSize, v = layer.classes
    let w = layer.weight.valueArray, b = layer.bias!.valueArray
    let n = Double(targets.filter { $0 != 0 }.count)
    var loss = 0.0
    var dW = [Double](repeating: 0, count: v * h), dB = [Double](repeating: 0, count: v)
    var dX = [Double](repeating: 0, count: hidden.count)
    for (row, target) in targets.enumerated() where target != 0 {
        let logits = (0..<v).map { j in (0..<h).reduce(Double(b[j])) { $0 + Double(hidden[row * h + $1]) * Double(w[j * h + $1]) } }
        let m = logits.max()!
        let expSum = logits.reduce(0) { $0 + exp($1 - m) }
        loss += m + log(expSum) - logits[Int(target)]
        for j in 0..<v {
            let dz = (exp(logits[j] - m) / expSum - (j == Int(target) ? 1 : 0)) / n
            dB[j] += dz
            for k in 0..<h {
                dW[j * h + k] += dz * Double(hidden[row * h + k])
                dX[row * h + k] += dz * Double(w[j * h + k])
            }
        }
    }
    return (loss / n, dW, dB, dX)
}

@Test func softmaxOverSeveralRowBlocksMatchesDoubleReference() {
    // More target rows than one block (plus a partial block), with rows without a target
    // spread through: every block's gradients must add up, and untouched rows stay 0.
    var rng = SeededGenerator(seed: 7)
    let layer = SoftmaxOutputLayer(classes: 21, inputSize: 6, rng: &rng)
    let rows = 2 * SoftmaxOutputLayer.rowBlock + 37
    let hidden = HeadTestSupport.uniformValues(rows * 6, &rng, scale: 2)
    let targets = (0..<rows).map { $0 % 9 == 4 ? Int32(0) : Int32(1 + rng.nextInt(below: 20)) }
    let (loss, n, dHidden) = softmaxLoss(layer, hidden: hidden, targets: targets)
    let reference = referenceGradients(layer, hidden: hidden, targets: targets)
    #expect(n == targets.filter { $0 != 0 }.count && n > 2 * SoftmaxOutputLayer.rowBlock)
    #expect(abs(loss - reference.loss) < 1e-5)
    // Each gradient element is ~1/N; compare against the largest one.
    func worst(_ analytic: [Float], _ exact: [Double]) -> Double {
        let largest = exact.map(abs).max() ?? 1
        return zip(analytic, exact).map { abs(Double($0) - $1) }.max().map { $0 / largest } ?? 0
    }
    #expect(worst(layer.weight.gradArray, reference.weight) < 1e-5)
    #expect(worst(layer.bias!.gradArray, reference.bias) < 1e-5)
    #expect(worst(dHidden, reference.hidden) < 1e-5)
    #expect((0..<rows).filter { targets[$0] == 0 }.allSatisfy { row in (0..<6).allSatisfy { dHidden[row * 6 + $0] == 0 } })
}

@Test func fusedColumnSumsEqualAddingTheFinishedRows() {
    // 19 columns: two 8-lane chunks and a tail; targets in a chunk and in the tail.
    var rng = SeededGenerator(seed: 8)
    let rows = 5, columns = 19
    let logits = HeadTestSupport.uniformValues(rows * columns, &rng, scale: 4)
    let targets: [Int32] = [0, 17, 8, 18, 3]
    let initialSums = HeadTestSupport.uniformValues(columns, &rng)
    var plain = logits, fused = logits, sums = initialSums
    let plainLoss = plain.withUnsafeMutableBufferPointer { z in
        targets.withUnsafeBufferPointer { t in
            SoftmaxCrossEntropy.lossAndGradientInPlace(
                logits: z.baseAddress!, rows: rows, columns: columns, targetColumns: t.baseAddress!, gradientScale: 0.25)
        }
    }
    let fusedLoss = fused.withUnsafeMutableBufferPointer { z in
        targets.withUnsafeBufferPointer { t in
            sums.withUnsafeMutableBufferPointer { s in
                SoftmaxCrossEntropy.lossAndGradientInPlace(
                    logits: z.baseAddress!, rows: rows, columns: columns, targetColumns: t.baseAddress!, gradientScale: 0.25,
                    addingColumnSumsInto: s.baseAddress!)
            }
        }
    }
    var expectedSums = initialSums
    for row in 0..<rows {
        for j in 0..<columns { expectedSums[j] += plain[row * columns + j] }
    }
    #expect(fusedLoss == plainLoss)
    #expect(fused == plain)
    #expect(sums == expectedSums)
}

@Test func sampledSoftmaxWithAccidentalHitAndDuplicateMatchesFiniteDifferences() {
    // Popularity sampling (a non-constant logQ correction), a duplicated negative and an
    // accidental hit (row 2's target 5 is also drawn as a negative).
    var rng = SeededGenerator(seed: 9)
    let items = 12
    let output = SoftmaxOutputLayer(classes: items + 1, inputSize: 4, rng: &rng)
    let counts = [0] + (1...items).map { $0 * 3 % 7 }
    let sampled = SampledSoftmax(output: output, negatives: 5,
                                 sampler: NegativeSampler(numItems: items, strategy: .popularity, itemCounts: counts))
    let negatives: [Int32] = [3, 5, 11, 3, 9]
    var hidden = HeadTestSupport.uniformValues(4 * 4, &rng, scale: 1.5)
    let targets: [Int32] = [7, 0, 5, 12]
    func run() -> (Double, [Float]) {
        var dHidden = [Float](repeating: 0, count: hidden.count)
        let result = hidden.withUnsafeBufferPointer { h in
            targets.withUnsafeBufferPointer { t in
                dHidden.withUnsafeMutableBufferPointer { d in
                    sampled.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: d.baseAddress!, negatives: negatives)
                }
            }
        }
        return (result.loss, dHidden)
    }
    let (loss, dHidden) = run()
    #expect(loss.isFinite && loss > 0)
    let weightGrad = output.weight.gradArray, biasGrad = output.bias!.gradArray
    let lossOnly = { run().0 }
    #expect((4..<8).allSatisfy { dHidden[$0] == 0 })
    let check = HeadTestSupport.gradientCheck(loss: lossOnly)
    check.verify(dHidden, of: PerturbableValues(name: "hidden", count: hidden.count, get: { hidden[$0] }, set: { hidden[$0] = $1 }), label: "sampled softmax")
    check.verify(weightGrad, of: PerturbableValues(output.weight), label: "sampled softmax")
    check.verify(biasGrad, of: PerturbableValues(output.bias!), label: "sampled softmax")
}

/// The full softmax's two-pass form (bias added, unshifted exponentials) against a Double
/// reference, on a row inside its range and on rows that must fall back to the shifted path
/// (largest logit above 80, and all logits far below zero): same loss, gradient and column
/// sums; the fallback rows, and only they, are recomputed.
@Test func biasedSoftmaxMatchesTheShiftedFormInsideAndOutsideItsRange() {
    let columns = 19  // two SIMD chunks and a tail
    var rng = SeededGenerator(seed: 5)
    let bias = (0..<columns).map { _ in rng.nextFloat(in: -1, 1) }
    var original: [[Float]] = [(0..<columns).map { _ in rng.nextFloat(in: -6, 6) }]
    original.append((0..<columns).map { $0 == 7 ? 100 : rng.nextFloat(in: 90, 99) })
    original.append((0..<columns).map { _ in rng.nextFloat(in: -230, -200) })
    let targets: [Int32] = [3, 7, 11]
    let scale: Float = 0.5
    var logits = original.flatMap { $0 }
    var columnSums = [Float](repeating: 0, count: columns)
    var recomputed: [Int] = []
    let loss = logits.withUnsafeMutableBufferPointer { z in
        SoftmaxCrossEntropy.lossAndGradientInPlace(
            logits: z.baseAddress!, rows: 3, columns: columns, addingBias: bias, targetColumns: targets,
            gradientScale: scale, addingColumnSumsInto: &columnSums) { row in
            recomputed.append(row)
            for j in 0..<columns { z[row * columns + j] = original[row][j] }
        }
    }
    #expect(recomputed == [1, 2])
    var expectedLoss = 0.0
    var expectedSums = [Double](repeating: 0, count: columns)
    for row in 0..<3 {
        let values = (0..<columns).map { Double(original[row][$0]) + Double(bias[$0]) }
        let top = values.max()!
        let logSum = top + log(values.map { exp($0 - top) }.reduce(0, +))
        expectedLoss += logSum - values[Int(targets[row])]
        for j in 0..<columns {
            let gradient = Double(scale) * (exp(values[j] - logSum) - (j == Int(targets[row]) ? 1 : 0))
            expectedSums[j] += gradient
            #expect(abs(Double(logits[row * columns + j]) - gradient) < 1e-6, "row \(row) column \(j)")
        }
    }
    #expect(abs(loss - expectedLoss) < 1e-4 * (1 + abs(expectedLoss)), "\(loss) vs \(expectedLoss)")
    for j in 0..<columns { #expect(abs(Double(columnSums[j]) - expectedSums[j]) < 1e-6) }
}
