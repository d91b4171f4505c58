import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// Applies a VectorMath function to every value of `xs` (in 8-lane chunks, including a tail).
private func evaluate(_ function: VectorMath.Function, _ xs: [Float]) -> [Float] {
    var out = [Float](repeating: .nan, count: xs.count)
    xs.withUnsafeBufferPointer { input in
        out.withUnsafeMutableBufferPointer { VectorMath.apply(function, input, into: $0) }
    }
    return out
}

/// Dense grid over [-100, 100]: step 1e-4 inside [-10, 10] (where the functions bend), 1e-2 outside.
private let grid: [Float] = {
    var values: [Float] = []
    for i in -100_000...100_000 { values.append(Float(Double(i) * 1e-4)) }
    for i in -10_000...10_000 where abs(i) > 1000 { values.append(Float(Double(i) * 1e-2)) }
    return values
}()

@Test func tanhApproximationIsWithin4e7OfLibm() {
    let ys = evaluate(.tanh, grid)
    var worst = 0.0
    for (x, y) in zip(grid, ys) { worst = max(worst, abs(Double(y) - Foundation.tanh(Double(x)))) }
    #expect(worst < 4e-7, "max |tanh error| = \(worst)")
}

@Test func sigmoidApproximationIsWithin1e7OfLibm() {
    let ys = evaluate(.sigmoid, grid)
    var worst = 0.0
    for (x, y) in zip(grid, ys) { worst = max(worst, abs(Double(y) - 1 / (1 + Foundation.exp(-Double(x))))) }
    #expect(worst < 1e-7, "max |sigmoid error| = \(worst)")
}

@Test func expApproximationHasRelativeErrorBelow2e7() {
    let xs = grid.filter { $0 >= -87 && $0 <= 88 }
    let ys = evaluate(.exp, xs)
    var worst = 0.0
    for (x, y) in zip(xs, ys) {
        let exact = Foundation.exp(Double(x))
        worst = max(worst, abs(Double(y) - exact) / exact)
    }
    #expect(worst < 2e-7, "max relative exp error = \(worst)")
}

@Test func activationsSaturateExactlyAndStayFinite() {
    let extremes: [Float] = [-.infinity, -1e30, -1000, -100, -20, -9, 9, 20, 100, 1000, 1e30, .infinity]
    let tanhs = evaluate(.tanh, extremes)
    let sigmoids = evaluate(.sigmoid, extremes)
    let exps = evaluate(.exp, extremes)
    for (x, t) in zip(extremes, tanhs) { #expect(t == (x > 0 ? 1 : -1), "tanh(\(x)) = \(t)") }
    for (x, s) in zip(extremes, sigmoids) {
        if x >= 20 {
            #expect(s == 1, "sigmoid(\(x)) = \(s)")
        } else if x <= -20 {
            #expect(s >= 0 && s < 3e-9, "sigmoid(\(x)) = \(s)")
        }
        #expect(s.isNormal || s == 0 || s == 1)
    }
    for e in exps { #expect(e.isFinite && e >= 0) }
    #expect(evaluate(.tanh, [0])[0] == 0)
    #expect(evaluate(.sigmoid, [0])[0] == 0.5)
    #expect(evaluate(.exp, [0])[0] == 1)
    // Odd symmetry of tanh, bit for bit.
    let xs: [Float] = (1...50).map { Float($0) * 0.173 }
    #expect(evaluate(.tanh, xs) == evaluate(.tanh, xs.map { -$0 }).map { -$0 })
}

@Test func bufferOpsHandleTailsAndTransposes() {
    // 11 values: one full vector plus a 3-value tail.
    let x: [Float] = (0..<11).map { Float($0) }
    var y: [Float] = (0..<11).map { Float($0) * 10 }
    x.withUnsafeBufferPointer { xb in
        y.withUnsafeMutableBufferPointer { BufferOps.axpy(count: 11, alpha: 2, x: xb.baseAddress!, y: $0.baseAddress!) }
    }
    #expect(y == (0..<11).map { Float($0) * 12 })

    // Column sums of a [3, 10] matrix.
    let matrix: [Float] = (0..<30).map { Float($0) }
    var sums = [Float](repeating: 1, count: 10)
    matrix.withUnsafeBufferPointer { m in
        sums.withUnsafeMutableBufferPointer { BufferOps.addColumnSums(rows: 3, columns: 10, matrix: m.baseAddress!, into: $0.baseAddress!) }
    }
    let expectedSums: [Float] = (0..<10).map { (column: Int) -> Float in Float(1 + 3 * column + 30) }
    #expect(sums == expectedSums)

    // [2, 3, 2] -> [3, 2, 2]
    let source: [Float] = (0..<12).map { Float($0) }
    var destination = [Float](repeating: 0, count: 12)
    source.withUnsafeBufferPointer { s in
        destination.withUnsafeMutableBufferPointer {
            BufferOps.swapOuterAxes(outer: 2, inner: 3, width: 2, source: s.baseAddress!, destination: $0.baseAddress!)
        }
    }
    #expect(destination == [0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11])
}

@Test func dropoutMaskKeepsAboutOneMinusPAndScales() {
    var rng = SeededGenerator(seed: 7)
    let buffer = FloatBuffer(count: 100_001)
    Dropout.drawMask(into: buffer.pointer, count: buffer.count, probability: 0.3, rng: &rng)
    let values = Array(buffer.buffer)
    let kept = values.filter { $0 != 0 }
    #expect(Set(kept) == [Float(1 / 0.7)])
    let keptFraction = Double(kept.count) / Double(values.count)
    #expect(abs(keptFraction - 0.7) < 0.01, "kept \(keptFraction)")
}

@Test func dropoutAppliesTheMaskItDrawsInTheSamePass() {
    let count = 1_003  // a tail of 3
    let values = (0..<count).map { Float($0) - 500 }
    var first = SeededGenerator(seed: 11), second = SeededGenerator(seed: 11)
    let mask = FloatBuffer(count: count), sameMask = FloatBuffer(count: count), scaled = FloatBuffer(count: count)
    scaled.pointer.update(from: values, count: count)
    Dropout.drawMask(into: mask.pointer, count: count, probability: 0.5, rng: &first)
    Dropout.drawMask(into: sameMask.pointer, count: count, probability: 0.5, rng: &second, applyingTo: scaled.pointer)
    #expect(Array(mask.buffer) == Array(sameMask.buffer))
    #expect(Array(scaled.buffer) == zip(values, mask.buffer).map { $0 * $1 })
    #expect(first == second, "both draws consume the same 16 seeds")
    #expect(Set(mask.buffer) == [0, 2])
}

/// xoshiro256** as published (Blackman & Vigna), one 64-bit state at a time.
private struct ScalarXoshiro {
    var s: (UInt64, UInt64, UInt64, UInt64)
    mutating func next() -> UInt64 {
        func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }
}

@Test func laneGeneratorRunsFourXoshiroStreams() {
    let states: [SIMD4<UInt64>] = [[1, 5, 9, 0xDEAD_BEEF_0123_4567], [2, 6, 10, 42], [3, 7, 11, 0], [4, 8, 12, UInt64.max]]
    var lanes = LaneGenerator(states: states[0], states[1], states[2], states[3])
    var references = (0..<4).map { ScalarXoshiro(s: (states[0][$0], states[1][$0], states[2][$0], states[3][$0])) }
    var first: SIMD4<UInt64> = .zero
    for step in 0..<200 {
        let output = lanes.next()
        if step == 0 { first = output }
        for lane in 0..<4 { #expect(output[lane] == references[lane].next(), "lane \(lane) step \(step)") }
    }
    #expect(first[0] == 11_520, "xoshiro256** from state (1, 2, 3, 4) starts with rotl(2 * 5, 7) * 9")
}
