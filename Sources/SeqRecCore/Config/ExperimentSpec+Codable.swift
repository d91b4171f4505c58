import Foundation

// Codable in the YAML spelling, so that a report embedding an `ExperimentSpec` records
// the same keys a user writes. Decoding runs the full validation of SpecDecoder.

extension ExperimentSpec {
    public func encode(to encoder: any Encoder) throws {
        try configValue.encode(to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let value = try ConfigValue(from: decoder)
        let source = ConfigSource(displayName: "<decoded experiment>", text: "", isFlag: true)
        let specDecoder = SpecDecoder()
        guard let spec = specDecoder.decode(value.node(source: source), defaultName: "experiment") else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: decoder.codingPath, debugDescription: specDecoder.diagnostics.error().description))
        }
        self = spec
    }
}

extension MetricSpec {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let metric = MetricSpec(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown metric '\(text)'")
        }
        self = metric
    }
}

extension Candidates {
    public func encode(to encoder: any Encoder) throws {
        try configValue.encode(to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let value = try ConfigValue(from: decoder)
        let source = ConfigSource(displayName: "<decoded candidates>", text: "", isFlag: true)
        let specDecoder = SpecDecoder()
        guard let candidates = specDecoder.candidates(value.node(source: source), "evaluation.candidates") else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: decoder.codingPath, debugDescription: specDecoder.diagnostics.error().description))
        }
        self = candidates
    }
}
