// The rating head (task: rating): the recurrent state h [H] after the user's history,
// concatenated with the target item's own embedding e [E], through Linear [H + E] -> 1,
// trained with the mean squared error against the observed rating:
//
//     r̂ = w_h·h + w_e·e[item] + b,   loss = mean_i (r̂_i − r_i)²
//
// The item embedding is the head's own (not the input embedding), so the rating model can
// learn item biases/traits separately from what drives the sequence.

package final class RatingHead {
    /// "rating.item_embedding.weight" [V, E], row 0 (padding) zero and never updated by its gradient.
    package let itemEmbedding: Parameter
    /// "rating.linear.weight" [1, H + E]: the first H columns read h, the last E read e.
    package let weight: Parameter
    /// "rating.linear.bias" [1].
    package let bias: Parameter
    package let hiddenSize: Int
    package let embeddingSize: Int

    private var rows: [Int] = []  // rows of the [R, H] input with a target

    /// PyTorch defaults: nn.Embedding ~ N(0, 1) (padding row zeroed), nn.Linear ~
    /// U(-1/sqrt(H + E), 1/sqrt(H + E)) for weight and bias. Drawn in that order.
    package init(classes: Int, hiddenSize: Int, embeddingSize: Int, rng: inout SeededGenerator) {
        precondition(classes >= 2 && hiddenSize >= 1 && embeddingSize >= 1,
                     "rating head needs >= 2 classes and positive sizes, got \(classes), \(hiddenSize), \(embeddingSize)")
        self.hiddenSize = hiddenSize
        self.embeddingSize = embeddingSize
        itemEmbedding = Embedding(vocabularySize: classes, dimension: embeddingSize,
                                  name: "rating.item_embedding.weight", rng: &rng).weight
        let fanIn = hiddenSize + embeddingSize
        let bound = 1 / Float(fanIn).squareRoot()
        let weightValues = (0..<fanIn).map { _ in rng.nextFloat(in: -bound, bound) }
        weight = Parameter(name: "rating.linear.weight", shape: [1, fanIn], values: weightValues)
        bias = Parameter(name: "rating.linear.bias", shape: [1], values: [rng.nextFloat(in: -bound, bound)])
    }

    package var parameters: [Parameter] { [itemEmbedding, weight, bias] }

    /// Predicted rating of `items[i]` given `hidden` row i ([N, H]) -> [N].
    package func predict(hidden: UnsafePointer<Float>, items: [Int32]) -> [Float] {
        items.enumerated().map { i, item in prediction(hidden + i * hiddenSize, item: item) }
    }

    /// Mean squared error over the rows of `hidden` [R, H] whose target [R] is not 0, against
    /// `ratings` [R]. Adds gradients into the head's parameters (only the target items'
    /// embedding rows) and into those rows of `dHidden` [R, H]. Returns the mean loss and N.
    package func lossAndBackward(
        hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>, ratings: UnsafeBufferPointer<Float>,
        dHidden: UnsafeMutablePointer<Float>
    ) -> (loss: Double, targets: Int) {
        precondition(ratings.count == targets.count, "ratings (\(ratings.count)) and targets (\(targets.count)) differ in length")
        rows.removeAll(keepingCapacity: true)
        for (row, target) in targets.enumerated() where target != 0 { rows.append(row) }
        let n = rows.count
        guard n > 0 else { return (0, 0) }
        let h = hiddenSize
        let e = embeddingSize
        var totalLoss = 0.0
        let scale = 2 / Float(n)
        let (wp, ep, dw, de) = (weight.value, itemEmbedding.value, weight.grad, itemEmbedding.grad)
        do {
            var biasGrad: Float = 0
            for row in rows {
                let item = Int(targets[row])
                let x = hidden + row * h
                let itemVector = ep + item * e
                let error = prediction(x, item: targets[row]) - ratings[row]
                totalLoss += Double(error) * Double(error)
                let dPrediction = scale * error
                BufferOps.addScaled(dPrediction, wp, into: dHidden + row * h, count: h)
                BufferOps.addScaled(dPrediction, wp + h, into: de + item * e, count: e)
                BufferOps.addScaled(dPrediction, x, into: dw, count: h)
                BufferOps.addScaled(dPrediction, itemVector, into: dw + h, count: e)
                biasGrad += dPrediction
            }
            bias.grad[0] += biasGrad
        }
        if itemEmbedding.tracksRows { for row in rows { itemEmbedding.markRow(Int(targets[row])) } }
        return (totalLoss / Double(n), n)
    }

    @inline(__always)
    private func prediction(_ x: UnsafePointer<Float>, item: Int32) -> Float {
        BufferOps.dot(weight.value, x, count: hiddenSize)
            + BufferOps.dot(weight.value + hiddenSize, itemEmbedding.value + Int(item) * embeddingSize, count: embeddingSize)
            + bias.value[0]
    }
}
