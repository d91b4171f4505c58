// The Transformer pieces a bidirectional (BERT4Rec-style) encoder adds to the shared layers:
// GELU (erf form) against PyTorch float64 values (Tests/Fixtures/make_golden_gelu.py) and
// finite differences, the feed-forward block with GELU and an inner width other than D, and
// self-attention without the causal mask. Finite differences as in SASRecTests
// (FiniteDifferenceCheck; loss = sum(out * R) in Double; dropout re-seeded before every forward).

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private let batch = 3, steps = 5
// Left-aligned rows with padding at the end (a full row, a short one, a single item).
private let ids: [Int32] = [3, 1, 4, 1, 5,
                            2, 7, 6, 0, 0,
                            5, 0, 0, 0, 0]

private func weighted(_ values: UnsafePointer<Float>, _ weights: [Float]) -> Double {
    weights.indices.reduce(0.0) { $0 + Double(values[$1]) * Double(weights[$1]) }
}

private func checkGradients(_ label: String, parameters: [Parameter], input: (values: UnsafeMutablePointer<Float>, grads: [Float]),
                            loss: @escaping () -> Double) -> Int {
    let check = FiniteDifferenceCheck(step: 1e-2, absolute: 1e-4, relative: 2e-3, loss: loss)
    let checked = parameters.reduce(0) { $0 + check.verify($1, label: label) }
    return checked + check.verify(input.grads, of: PerturbableValues(name: "input", count: input.grads.count,
                                                                     get: { input.values[$0] }, set: { input.values[$0] = $1 }),
                                  label: label)
}

private struct GELUFixture: Decodable {
    let x: [Double]
    let y: [Double]
    let dy_dx: [Double]
}

@Suite struct BidirectionalLayerTests {
    /// Value and derivative within 8 Float ulps of torch.nn.GELU() in float64 (GELUKernelTests
    /// has the bounds on a dense grid): the value relative to itself, also in the lower tail
    /// (gelu(-6) = -5.9e-9); the derivative relative to its terms Φ(x) and x φ(x), whose sum
    /// cancels near x = -0.75 (gelu'(-0.7) = 0.023 = 0.242 - 0.219).
    @Test func geluMatchesPyTorch() throws {
        let url = ConfigFixtures.fixtures.appendingPathComponent("golden-gelu/gelu.json")
        let fixture = try JSONDecoder().decode(GELUFixture.self, from: Data(contentsOf: url))
        let x = fixture.x.map(Float.init)
        var y = [Float](repeating: 0, count: x.count), dx = [Float](repeating: 0, count: x.count)
        let ones = [Float](repeating: 1, count: x.count)
        GELU.forward(x, into: &y, count: x.count)
        GELU.backward(input: x, dOutput: ones, into: &dx, count: x.count)
        func ulp(_ value: Double) -> Double { Double(Float(value).ulp) }
        for i in x.indices {
            let v = fixture.x[i], cdf = v == 0 ? 0.5 : fixture.y[i] / v
            let terms = abs(cdf) + abs(fixture.dy_dx[i] - cdf)  // |Φ(x)| + |x φ(x)|, from the fixture's columns
            #expect(abs(Double(y[i]) - fixture.y[i]) <= 8 * ulp(fixture.y[i]), "gelu(\(x[i])) = \(y[i]), torch \(fixture.y[i])")
            #expect(abs(Double(dx[i]) - fixture.dy_dx[i]) <= 8 * ulp(terms), "gelu'(\(x[i])) = \(dx[i]), torch \(fixture.dy_dx[i])")
        }
    }

    /// The forward that keeps Φ(x) for the backward gives the same values, bit for bit, as
    /// the one that does not, and so does the backward that reads Φ(x) back.
    @Test func geluSavedCDFMatchesRecomputed() {
        let count = 64
        let x = uniformValues(count, seed: 23).map { 4 * $0 }, upstream = uniformValues(count, seed: 24)
        var y = [Float](repeating: 0, count: count), ySaving = y, dx = y, dxSaved = y
        var cdf = [Float](repeating: .nan, count: count)
        GELU.forward(x, into: &y, count: count)
        GELU.forward(x, into: &ySaving, savingCDF: &cdf, count: count)
        GELU.backward(input: x, dOutput: upstream, into: &dx, count: count)
        GELU.backward(input: x, cdf: cdf, dOutput: upstream, into: &dxSaved, count: count)
        #expect(ySaving == y)
        #expect(dxSaved == dx)
        #expect(cdf.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func geluMatchesFiniteDifferences() {
        let count = 40
        let x = FloatBuffer(count: count)
        for (i, v) in uniformValues(count, seed: 21).enumerated() { x.pointer[i] = 3 * v }
        let upstream = uniformValues(count, seed: 22)
        let y = FloatBuffer(count: count), dx = FloatBuffer(count: count)
        GELU.backward(input: x.pointer, dOutput: upstream, into: dx.pointer, count: count)
        let check = FiniteDifferenceCheck(step: 1e-2, absolute: 1e-4, relative: 2e-3) {
            GELU.forward(x.pointer, into: y.pointer, count: count)
            return weighted(y.pointer, upstream)
        }
        let checked = check.verify(Array(dx.buffer), of: PerturbableValues(name: "x", count: count,
                                                                          get: { x.pointer[$0] }, set: { x.pointer[$0] = $1 }),
                                   label: "gelu")
        #expect(checked == count)
    }

    @Test(arguments: [0.0, 0.3])
    func geluFeedForwardMatchesFiniteDifferences(_ dropout: Float) {
        let width = 6, inner = 10, rows = 5
        var rng = SeededGenerator(seed: 25)
        let feedForward = PointwiseFeedForward(name: "ff", width: width, innerWidth: inner, activation: .gelu, dropout: dropout, rng: &rng)
        #expect(feedForward.parameters.map(\.shape) == [[inner, width], [inner], [width, inner], [width]])
        let x = FloatBuffer(count: rows * width)
        for (i, v) in uniformValues(rows * width, seed: 26).enumerated() { x.pointer[i] = v }
        let upstream = uniformValues(rows * width, seed: 27)
        let dx = FloatBuffer(count: rows * width)
        func forward() -> UnsafePointer<Float> {
            var masks = SeededGenerator(seed: 28)
            return feedForward.forward(x.pointer, rows: rows, training: true, rng: &masks)
        }
        _ = forward()
        upstream.withUnsafeBufferPointer { feedForward.backward(input: x.pointer, dOutput: $0.baseAddress!, addingInto: dx.pointer) }
        let checked = checkGradients("gelu feed-forward dropout \(dropout)", parameters: feedForward.parameters,
                                     input: (x.pointer, Array(dx.buffer))) { weighted(forward(), upstream) }
        #expect(checked == 2 * width * inner + inner + width + rows * width)
    }

    @Test(arguments: [1, 2], [0.0, 0.3])
    func bidirectionalAttentionMatchesFiniteDifferences(_ heads: Int, _ dropout: Float) {
        let width = 6
        var rng = SeededGenerator(seed: 35)
        let attention = MultiHeadSelfAttention(name: "attention", width: width, heads: heads, dropout: dropout, causal: false, rng: &rng)
        attention.inBias.setValues(uniformValues(3 * width, seed: 36))
        attention.outBias.setValues(uniformValues(width, seed: 37))
        let isItem = ids.map { $0 != 0 }
        let x = FloatBuffer(count: batch * steps * width)
        for (i, v) in uniformValues(batch * steps * width, seed: 38).enumerated() { x.pointer[i] = v }
        let upstream = uniformValues(batch * steps * width, seed: 39)
        let dx = FloatBuffer(count: batch * steps * width)
        func forward() -> UnsafePointer<Float> {
            var masks = SeededGenerator(seed: 40)
            return isItem.withUnsafeBufferPointer {
                attention.forward(x.pointer, isItem: $0.baseAddress!, batch: batch, steps: steps, training: true, rng: &masks)
            }
        }
        // Step 0 sees a later item (step 1 of row 0) but no padding (step 3 of row 1 for row 1's items).
        func rowOutput(_ row: Int, _ step: Int) -> [Float] {
            Array(UnsafeBufferPointer(start: forward() + (row * steps + step) * width, count: width))
        }
        let before = rowOutput(0, 0)
        x.pointer[1 * width] += 1
        #expect(before != rowOutput(0, 0), "step 0 does not attend to step 1")
        x.pointer[1 * width] -= 1
        let item = rowOutput(1, 0)
        x.pointer[(1 * steps + 3) * width] += 1
        #expect(item == rowOutput(1, 0), "an item attends to padding")
        x.pointer[(1 * steps + 3) * width] -= 1
        _ = forward()
        upstream.withUnsafeBufferPointer { attention.backward(input: x.pointer, dOutput: $0.baseAddress!, addingInto: dx.pointer) }
        let checked = checkGradients("bidirectional attention heads \(heads) dropout \(dropout)", parameters: attention.parameters,
                                     input: (x.pointer, Array(dx.buffer))) { weighted(forward(), upstream) }
        #expect(checked == 4 * width * width + 4 * width + batch * steps * width)
    }
}
