// Learning-rate schedules, evaluated per epoch (like PyTorch's StepLR / CosineAnnealingLR
// stepped once per epoch). Epochs are 1-based here.
import Foundation

package struct LearningRateSchedule: Sendable {
    package let base: Double
    package let spec: ScheduleSpec
    package let totalEpochs: Int

    package init(base: Double, spec: ScheduleSpec, totalEpochs: Int) {
        self.base = base
        self.spec = spec
        self.totalEpochs = max(totalEpochs, 1)
    }

    /// The rate used during `epoch` (1-based).
    package func rate(epoch: Int) -> Double {
        let e = max(epoch - 1, 0)  // epochs completed before this one
        switch spec.name {
        case .constant:
            return base
        case .step:
            // StepLR: lr = base * gamma^floor(e / step_size)
            return base * pow(spec.gamma, Double(e / max(spec.stepSize, 1)))
        case .cosine:
            // CosineAnnealingLR with T_max = epochs: eta_min + (base - eta_min)(1 + cos(pi e / T))/2
            let t = Double(min(e, totalEpochs)) / Double(totalEpochs)
            return spec.minLearningRate + (base - spec.minLearningRate) * (1 + cos(Double.pi * t)) / 2
        }
    }
}
