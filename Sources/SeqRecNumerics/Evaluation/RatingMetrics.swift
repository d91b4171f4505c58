// Error metrics of the rating task.

package enum RatingMetrics {
    /// Root mean squared error and mean absolute error, accumulated in Double.
    /// Both arrays must have the same length; an empty input gives NaN for both.
    package static func compute(predictions: [Float], targets: [Float]) -> (rmse: Double, mae: Double) {
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

extension RatingMetrics {
    /// Test errors of the two predictors that need no training: the global mean training
    /// rating, and each user's mean training rating (the global mean for a user without
    /// training ratings). Users are dense indices; nil sections when there is no data.
    package static func baselines(trainUsers: [Int32], trainRatings: [Float],
                                 testUsers: [Int32], testRatings: [Float]) -> RatingBaselines {
        precondition(trainUsers.count == trainRatings.count && testUsers.count == testRatings.count,
                     "RatingMetrics.baselines: users and ratings differ in length")
        guard !trainRatings.isEmpty, !testRatings.isEmpty else { return RatingBaselines() }
        let globalMean = trainRatings.reduce(0.0) { $0 + Double($1) } / Double(trainRatings.count)
        var sums: [Int32: (total: Double, count: Int)] = [:]
        for (user, rating) in zip(trainUsers, trainRatings) {
            sums[user, default: (0, 0)].total += Double(rating)
            sums[user, default: (0, 0)].count += 1
        }
        let global = compute(predictions: [Float](repeating: Float(globalMean), count: testRatings.count),
                             targets: testRatings)
        let perUser = testUsers.map { user -> Float in
            guard let entry = sums[user] else { return Float(globalMean) }
            return Float(entry.total / Double(entry.count))
        }
        let user = compute(predictions: perUser, targets: testRatings)
        return RatingBaselines(globalMean: RatingErrors(rmse: global.rmse, mae: global.mae),
                               userMean: RatingErrors(rmse: user.rmse, mae: user.mae))
    }
}
