// torch.optim.AdamW (defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2
// in PyTorch; seqrec passes the configured value). Decoupled weight decay:
//
//     p = p * (1 - lr * weight_decay)
//     then the Adam update of Adam.swift with g = grad (no L2 term).

public final class AdamW: Optimizer {
    private let adam: Adam

    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 1e-2) {
        adam = Adam(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: true)
    }

    public var weightDecay: Float { adam.weightDecay }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        adam.step(parameters, learningRate: learningRate)
    }
}
