// The rating task's error pair, and the errors of the predictors that need no training.

package struct RatingErrors: Sendable, Equatable, Codable {
    package var rmse: Double
    package var mae: Double
    package init(rmse: Double, mae: Double) {
        self.rmse = rmse
        self.mae = mae
    }
}

/// Test errors of predictors that need no training (rating task).
package struct RatingBaselines: Sendable, Equatable, Codable {
    /// Predict the global training mean rating.
    package var globalMean: RatingErrors?
    /// Predict the user's training mean (the global mean for a user without training ratings).
    package var userMean: RatingErrors?

    package init(globalMean: RatingErrors? = nil, userMean: RatingErrors? = nil) {
        self.globalMean = globalMean
        self.userMean = userMean
    }

    enum CodingKeys: String, CodingKey {
        case globalMean = "global_mean"
        case userMean = "user_mean"
    }
}
