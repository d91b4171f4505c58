// One entry point per reader of untrusted bytes, shared by the libFuzzer driver
// (Sources/fuzz-seqrec) and the regression tests (Tests/Fixtures/fuzz-regressions): bytes in,
// the same code path the runner takes after reading a file, no file system. A rejected input
// is an error with a message; anything else (a trap, a hang, unbounded memory) is a bug.
//
// Besides "does not crash", some targets check a round trip: what the runner writes from an
// accepted input must read back to the same value (`validate` output, safetensors, reports).

import Foundation

public enum FuzzTarget: String, CaseIterable, Sendable {
    /// YAML bytes -> libyaml -> node tree -> grid expansion -> spec decoder and validation.
    case config
    /// Interaction files: each format's parser, then the preprocessor (id remapping, filters).
    case csv, tsv, movielens
    case movielensDat = "movielens-dat"
    case recbole, sasrec
    /// report.json (what `runner compare` and the sweep planner read) and its per-user sidecar.
    case report
    /// `SafeTensorsFile(data:)`, the checkpoint reader.
    case safetensors

    /// The name that stands for the input file in messages.
    package static let displayName = "fuzz-input"

    /// How one input ended.
    public enum Outcome: Sendable, Equatable {
        case accepted
        /// The parser's error message (what a user would see).
        case rejected(String)
    }

    /// Runs one input through this target's readers. Traps (via `preconditionFailure`) when
    /// an accepted input does not survive its round trip.
    public func run(_ bytes: [UInt8]) -> Outcome {
        switch self {
        case .config: return Self.config(bytes)
        case .csv, .tsv, .movielens, .movielensDat, .recbole, .sasrec: return Self.interactions(bytes, format: dataFormat!)
        case .report: return Self.report(bytes)
        case .safetensors: return Self.safetensors(bytes)
        }
    }

    var dataFormat: DataFormat? { DataFormat(rawValue: rawValue) }

    // MARK: - Targets

    private static func config(_ bytes: [UInt8]) -> Outcome {
        let points: [GridPoint]
        do {
            points = try ConfigLoader.loadGrid(bytes: bytes, displayName: displayName)
        } catch {
            return .rejected(error.description)
        }
        for point in points {
            _ = point.spec.resolvedJSON()
            // What `runner validate` prints for a single experiment must load back to the
            // same experiment (a grid point's name carries its run name, so it is not one).
            guard point.varied.isEmpty else { continue }
            let yaml = point.spec.resolvedYAML()
            let reloaded: [GridPoint]
            do {
                reloaded = try ConfigLoader.loadGrid(bytes: Array(yaml.utf8), displayName: "resolved")
            } catch {
                preconditionFailure("the resolved YAML of an accepted config does not load:\n\(yaml)\n\(error)")
            }
            precondition(reloaded.count == 1 && reloaded[0].spec.configHash == point.spec.configHash,
                         "the resolved YAML of an accepted config loads to a different experiment:\n\(yaml)")
        }
        return .accepted
    }

    private static func interactions(_ bytes: [UInt8], format: DataFormat) -> Outcome {
        // csv, tsv and recbole read a header: once with the default columns, once mapped.
        var mappings: [ColumnMapping?] = [nil]
        if format == .csv || format == .tsv || format == .recbole {
            var mapping = ColumnMapping()
            mapping.user = "uid"
            mapping.item = "iid"
            mapping.rating = "score"
            mapping.timestamp = "time"
            mappings.append(mapping)
        }
        var outcome = Outcome.accepted
        for columns in mappings {
            do {
                let raw = try InteractionFileParser.parse(bytes: bytes, file: displayName, format: format, columns: columns)
                let source = DataSourceInfo(kind: .file, name: displayName, format: format.rawValue)
                _ = try Preprocessor.run(raw, policy: PreprocessingPolicy(), source: source)
            } catch {
                outcome = .rejected(String(describing: error))
            }
        }
        return outcome
    }

    private static func report(_ bytes: [UInt8]) -> Outcome {
        var outcome = Outcome.accepted
        do {
            let report = try ReportReader.decode(Data(bytes), path: displayName)
            // What the runner writes from a report it read must read back the same.
            let written: Data
            do {
                written = try ReportWriter.encode(report)
            } catch {
                return .rejected("cannot encode: \(error)")
            }
            // (Compared as bytes: a NaN metric is a valid report value but not equal to itself.)
            let rewritten = try? ReportWriter.encode(ReportReader.decode(written, path: displayName))
            precondition(rewritten == written, "a report read, written and read again differs")
        } catch {
            outcome = .rejected(String(describing: error))
        }
        // The same bytes as a per-user sidecar (compare reads it as UTF-8 text).
        if let text = String(validating: bytes, as: UTF8.self) {
            do {
                _ = try ReportReader.parsePerUser(text, path: displayName)
            } catch {
                outcome = .rejected(String(describing: error))
            }
        }
        return outcome
    }

    private static func safetensors(_ bytes: [UInt8]) -> Outcome {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(data: Data(bytes))
        } catch {
            return .rejected(String(describing: error))
        }
        for tensor in file.tensors.values {
            switch tensor.dtype {
            case .f32: _ = try? tensor.floats()
            case .f64: _ = try? tensor.doubles()
            case .i32: _ = try? tensor.int32s()
            case .i64: _ = try? tensor.int64s()
            default: break
            }
        }
        // What the checkpoint writer makes of it must read back the same.
        do {
            let reread = try SafeTensorsFile(data: try file.serialized())
            precondition(reread == file, "a safetensors file read, written and read again differs")
        } catch {
            preconditionFailure("a safetensors file read and written does not read back: \(error)")
        }
        return .accepted
    }
}
