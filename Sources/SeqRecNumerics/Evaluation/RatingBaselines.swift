// The rating task's error pair, and the errors of the predictors that need no training.

public struct RatingErrors: Sendable, Equatable, Codable {
    public var rmse: Double
    public var mae: Double
    public init(rmse: Double, mae: Double) {
        self.rmse = rmse
        self.mae = mae
    }
}

/// Test errors of predictors that need no training (rating task).
public struct RatingBaselines: Sendable, Equatable, Codable {
    /// Predict the global training mean rating.
    public var globalMean: RatingErrors?
    /// Predict the user's training mean (the global mean for a user without training ratings).
    public var userMean: RatingErrors?

    public init(globalMean: RatingErrors? = nil, userMean: RatingErrors? = nil) {
        self.globalMean = globalMean
        self.userMean = userMean
    }

    enum CodingKeys: String, CodingKey {
        case globalMean = "global_mean"
        case userMean = "user_mean"
    }
}
