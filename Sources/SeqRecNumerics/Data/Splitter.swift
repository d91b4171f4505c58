// Splits each user's chronological sequence into training events and evaluation cases.
// Every evaluation case's history is strictly earlier (in the user's order) than its
// targets, so no target is ever part of its own input.
//   leave-one-out: last -> test, second last -> validation, rest -> training;
//                  users with < 3 events are training-only.
//   user-ratio:    per user, the last round(n * test) events (at least 1) -> test, the
//                  round(n * validation) before them (at least 1) -> validation, the rest
//                  (at least 1) -> training; users too short for that are training-only.
//   temporal:      global timestamp quantiles t1 <= t2 over all events: ts < t1 training,
//                  t1 <= ts < t2 validation, ts >= t2 test. Training sequences hold only
//                  events before t1; a case's history is all of that user's events before
//                  its first target (so test histories include validation events).

/// One evaluation query: predict `targets` (in order) after `history`.
public struct EvaluationCase: Sendable, Equatable {
    /// Dense user index.
    public var user: Int32
    /// The full chronological input history (not truncated to max_length).
    public var history: [Int32]
    /// The held-out items, chronological; exactly one for leave-one-out.
    public var targets: [Int32]
    public var targetRatings: [Float]

    public init(user: Int32, history: [Int32], targets: [Int32], targetRatings: [Float]) {
        self.user = user
        self.history = history
        self.targets = targets
        self.targetRatings = targetRatings
    }
}

package struct SplitStats: Sendable, Equatable, Codable {
    package var method: String
    /// Users with at least one training event.
    package var trainUsers: Int
    /// Events in training sequences.
    package var trainInteractions: Int
    /// Training targets: every training event after its user's first.
    package var trainTargets: Int
    package var validationCases: Int
    package var validationTargets: Int
    package var testCases: Int
    package var testTargets: Int
    /// Users whose events are all used for training (too few events to evaluate).
    package var trainingOnlyUsers: Int
    /// Temporal split: cases dropped because the user had no earlier event to use as input.
    package var casesWithoutHistory: Int
    /// Temporal split: the timestamps where validation and test begin.
    package var cutTimestamps: [Int64]

    package init(method: String, trainUsers: Int, trainInteractions: Int, trainTargets: Int, validationCases: Int,
                validationTargets: Int, testCases: Int, testTargets: Int, trainingOnlyUsers: Int,
                casesWithoutHistory: Int, cutTimestamps: [Int64]) {
        self.method = method
        self.trainUsers = trainUsers
        self.trainInteractions = trainInteractions
        self.trainTargets = trainTargets
        self.validationCases = validationCases
        self.validationTargets = validationTargets
        self.testCases = testCases
        self.testTargets = testTargets
        self.trainingOnlyUsers = trainingOnlyUsers
        self.casesWithoutHistory = casesWithoutHistory
        self.cutTimestamps = cutTimestamps
    }
}

public struct SplitData: Sendable {
    /// [numUsers][events] training sequence of each dense user (possibly empty).
    public var train: [[Int32]]
    public var trainRatings: [[Float]]
    public var validation: [EvaluationCase]
    package var test: [EvaluationCase]
    package var stats: SplitStats

    package init(train: [[Int32]], trainRatings: [[Float]], validation: [EvaluationCase], test: [EvaluationCase],
                stats: SplitStats) {
        self.train = train
        self.trainRatings = trainRatings
        self.validation = validation
        self.test = test
        self.stats = stats
    }
}

public enum Splitter {
    public static func split(_ data: InteractionData, spec: SplitSpec) throws -> SplitData {
        // Per user: where validation targets begin and where test targets begin (event indices).
        var boundaries: [(validationStart: Int, testStart: Int)] = []
        boundaries.reserveCapacity(data.numUsers)
        var cuts: [Int64] = []
        var trainingOnly = 0

        switch spec.method {
        case .leaveOneOut:
            for sequence in data.sequences {
                let count = sequence.count
                if count < 3 {
                    trainingOnly += 1
                    boundaries.append((count, count))
                } else {
                    boundaries.append((count - 2, count - 1))
                }
            }
        case .userRatio:
            guard spec.ratios.count == 3, spec.ratios.allSatisfy({ $0 >= 0 }), spec.ratios[0] > 0 else {
                throw DataError.invalidSplit(
                    reason: "user-ratio needs 3 non-negative ratios [train, validation, test] with train > 0, found \(spec.ratios)")
            }
            for sequence in data.sequences {
                let count = sequence.count
                let testCount = spec.ratios[2] > 0 ? max(1, Int((Double(count) * spec.ratios[2]).rounded())) : 0
                let validationCount = spec.ratios[1] > 0 ? max(1, Int((Double(count) * spec.ratios[1]).rounded())) : 0
                if count < 3 || count - testCount - validationCount < 1 {
                    trainingOnly += 1
                    boundaries.append((count, count))
                } else {
                    boundaries.append((count - testCount - validationCount, count - testCount))
                }
            }
        case .temporal:
            guard spec.temporalCuts.count == 2, spec.temporalCuts[0] > 0, spec.temporalCuts[0] <= spec.temporalCuts[1],
                  spec.temporalCuts[1] <= 1 else {
                throw DataError.invalidSplit(
                    reason: "temporal needs 2 cut quantiles 0 < validation <= test <= 1, found \(spec.temporalCuts)")
            }
            let allTimestamps = data.timestamps.flatMap { $0 }.sorted()
            guard !allTimestamps.isEmpty else { throw DataError.invalidSplit(reason: "temporal split of an empty dataset") }
            cuts = spec.temporalCuts.map { quantile in
                allTimestamps[min(allTimestamps.count - 1, Int((Double(allTimestamps.count) * quantile).rounded(.down)))]
            }
            for timestamps in data.timestamps {
                // Timestamps are sorted per user, so each part is a contiguous range.
                let validationStart = timestamps.firstIndex { $0 >= cuts[0] } ?? timestamps.count
                let testStart = timestamps.firstIndex { $0 >= cuts[1] } ?? timestamps.count
                if validationStart == timestamps.count { trainingOnly += 1 }
                boundaries.append((validationStart, testStart))
            }
        }

        var train: [[Int32]] = [], trainRatings: [[Float]] = []
        var validation: [EvaluationCase] = [], test: [EvaluationCase] = []
        var withoutHistory = 0
        for user in 0..<data.numUsers {
            let sequence = data.sequences[user], ratings = data.ratings[user]
            let (validationStart, testStart) = boundaries[user]
            train.append(Array(sequence[0..<validationStart]))
            trainRatings.append(Array(ratings[0..<validationStart]))
            let parts = [(validationStart, testStart, true), (testStart, sequence.count, false)]
            for (start, end, isValidation) in parts where start < end {
                guard start > 0 else {
                    withoutHistory += 1
                    continue
                }
                let evaluationCase = EvaluationCase(
                    user: Int32(user), history: Array(sequence[0..<start]),
                    targets: Array(sequence[start..<end]), targetRatings: Array(ratings[start..<end]))
                if isValidation { validation.append(evaluationCase) } else { test.append(evaluationCase) }
            }
        }

        guard !validation.isEmpty else {
            throw DataError.invalidSplit(reason: "\(spec.method.rawValue) produced no validation cases")
        }
        guard !test.isEmpty else { throw DataError.invalidSplit(reason: "\(spec.method.rawValue) produced no test cases") }
        let stats = SplitStats(
            method: spec.method.rawValue, trainUsers: train.filter { !$0.isEmpty }.count,
            trainInteractions: train.reduce(0) { $0 + $1.count },
            trainTargets: train.reduce(0) { $0 + max(0, $1.count - 1) },
            validationCases: validation.count, validationTargets: validation.reduce(0) { $0 + $1.targets.count },
            testCases: test.count, testTargets: test.reduce(0) { $0 + $1.targets.count },
            trainingOnlyUsers: trainingOnly, casesWithoutHistory: withoutHistory, cutTimestamps: cuts)
        return SplitData(train: train, trainRatings: trainRatings, validation: validation, test: test, stats: stats)
    }
}
