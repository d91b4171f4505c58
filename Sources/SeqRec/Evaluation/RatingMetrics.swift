// Error metrics of the rating task.

public enum RatingMetrics {
    /// Root mean squared error and mean absolute error, accumulated in Double.
    /// Both arrays must have the same length; an empty input gives NaN for both.
    public static func compute(predictions: [Float], targets: [Float]) -> (rmse: Double, mae: Double) {
        precondition(predictions.count == targets.count,
                     "RatingMetrics: \(predictions.count) predictions for \(targets.count) targets")
        guard !predictions.isEmpty else { return (.nan, .nan) }
        var squared = 0.0
        var absolute = 0.0
        for (prediction, target) in zip(predictions, targets) {
            let error = Double(prediction) - Double(target)
            squared += error * error
            absolute += abs(error)
        }
        let count = Double(predictions.count)
        return ((squared / count).squareRoot(), absolute / count)
    }
}
