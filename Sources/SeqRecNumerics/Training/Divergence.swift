// What a diverged run reports: the step, the loss and gradient norm there, and the parameter
// tensor whose gradient is to blame (the one with the most non-finite values, else the
// largest norm), so that a user knows what to change. Runs only once, on divergence.
import Foundation

struct GradientCulprit: Equatable {
    var name: String
    /// sqrt(sum g²) in Double over the finite values (no Float overflow on the way).
    var norm: Double
    var nonFinite: Int
    var count: Int

    /// The parameter of `arena` with the most non-finite gradient values, else the largest
    /// gradient norm; nil for an empty arena.
    static func find(in arena: ParameterArena) -> GradientCulprit? {
        var worst: GradientCulprit?
        for parameter in arena.parameters {
            var squares = 0.0, nonFinite = 0
            for index in 0..<parameter.count {
                let g = parameter.grad[index]
                if g.isFinite { squares += Double(g) * Double(g) } else { nonFinite += 1 }
            }
            let candidate = GradientCulprit(name: parameter.name, norm: squares.squareRoot(), nonFinite: nonFinite,
                                            count: parameter.count)
            if let current = worst, (current.nonFinite, current.norm) >= (candidate.nonFinite, candidate.norm) { continue }
            worst = candidate
        }
        return worst
    }
}

/// A parameter holding NaN or infinite values after an update.
struct NonFiniteWeights: Equatable {
    var name: String
    var nonFinite: Int
    var count: Int

    /// The parameter of `arena` with the most non-finite values, or nil when all are finite.
    static func find(in arena: ParameterArena) -> NonFiniteWeights? {
        var worst: NonFiniteWeights?
        for parameter in arena.parameters {
            var nonFinite = 0
            for index in 0..<parameter.count where !parameter.value[index].isFinite { nonFinite += 1 }
            if nonFinite > (worst?.nonFinite ?? 0) {
                worst = NonFiniteWeights(name: parameter.name, nonFinite: nonFinite, count: parameter.count)
            }
        }
        return worst
    }
}

enum Divergence {
    /// "training diverged at step 12 (epoch 1, batch 12): ..." with the culprit and advice.
    static func message(step: Int, epoch: Int, batch: Int, loss: Double, norm: Float, culprit: GradientCulprit?) -> String {
        var text = "training diverged at step \(step) (epoch \(epoch), batch \(batch)): "
        text += loss.isFinite
            ? String(format: "the loss was finite (%.4g) but the gradient norm was %@", loss, "\(norm)")
            : "the loss was \(loss) (gradient norm \(norm))"
        if let culprit {
            text += culprit.nonFinite > 0
                ? "; \(culprit.nonFinite) of \(culprit.count) gradient values of \(culprit.name) are not finite"
                : String(format: "; the largest gradient is %@'s (norm %.3g over %d values)", culprit.name, culprit.norm, culprit.count)
        }
        return text + ". Lower training.optimizer.learning_rate or set training.clip_norm"
    }

    /// An epoch whose last update left weights that are not finite (the next step would
    /// diverge; the epoch's weights are neither validated nor saved).
    static func message(epoch: Int, weights: NonFiniteWeights) -> String {
        "training diverged in epoch \(epoch): its last update left \(weights.nonFinite) of \(weights.count) values of "
            + "\(weights.name) not finite. Lower training.optimizer.learning_rate or set training.clip_norm"
    }
}
