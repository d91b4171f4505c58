// The built-in datasets and how they are acquired into the cache: a cached, verified file
// is used as is; otherwise each source is tried in order, and the first whose data passes
// verification is stored atomically as <cache>/<name>/<file>.

import Foundation

package struct BuiltinDataset: Sendable {
    package var name: String
    /// Canonical file stored in the cache directory (`u.data`, `ratings.dat`).
    package var fileName: String
    package var format: DataFormat
    package var expectation: DatasetExpectation
    var sources: [AcquisitionSource]
    /// Shell command that places the file by hand; `{cache}` is replaced by the cache directory.
    var manualCommand: String

    static let allNames = ["movielens-100k", "movielens-1m"]

    package static func named(_ name: String) throws -> BuiltinDataset {
        switch name {
        case "movielens-100k": return movieLens100K
        case "movielens-1m": return movieLens1M
        default: throw DataError.unknownBuiltin(name: name)
        }
    }

    static let movieLens100K: BuiltinDataset = {
        let zipURL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
        let requirement = "recbole==1.2.1"
        return BuiltinDataset(
            name: "movielens-100k", fileName: "u.data", format: .movielens,
            expectation: DatasetExpectation(
                interactions: 100_000, users: 943, items: 1_682,
                sha256: "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
                separator: [UInt8(ascii: "\t")]),
            sources: [
                AcquisitionSource(name: "GroupLens \(zipURL)", origin: zipURL, hasHeader: false) { log in
                    try DownloadSources.zipEntry(url: zipURL,
                                                 entryPath: "ml-100k/u.data", log: log)
                },
                AcquisitionSource(name: "PyPI \(requirement) (python3 -m pip download)", origin: "pypi:\(requirement)",
                                  hasHeader: true) { log in
                    try DownloadSources.pipWheelEntry(requirement: requirement,
                                                      entryPath: "recbole/dataset_example/ml-100k/ml-100k.inter", log: log)
                },
            ],
            manualCommand: "mkdir -p '{cache}/movielens-100k' && curl -fL -o /tmp/ml-100k.zip \(zipURL)"
                + " && unzip -p /tmp/ml-100k.zip ml-100k/u.data > '{cache}/movielens-100k/u.data'")
    }()

    static let movieLens1M: BuiltinDataset = {
        let zipURL = "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
        return BuiltinDataset(
            name: "movielens-1m", fileName: "ratings.dat", format: .movielensDat,
            expectation: DatasetExpectation(interactions: 1_000_209, users: 6_040, items: 3_706, sha256: nil,
                                            separator: [UInt8(ascii: ":"), UInt8(ascii: ":")]),
            sources: [
                AcquisitionSource(name: "GroupLens \(zipURL)", origin: zipURL, hasHeader: false) { log in
                    try DownloadSources.zipEntry(url: zipURL,
                                                 entryPath: "ml-1m/ratings.dat", log: log)
                },
            ],
            manualCommand: "mkdir -p '{cache}/movielens-1m' && curl -fL -o /tmp/ml-1m.zip \(zipURL)"
                + " && unzip -p /tmp/ml-1m.zip ml-1m/ratings.dat > '{cache}/movielens-1m/ratings.dat'")
    }()

    /// `dataset.cache_dir`, else $SEQREC_DATA_DIR, else `data` (relative to the working directory).
    package static func cacheDirectory(configured: String?) -> String {
        if let configured, !configured.isEmpty { return configured }
        if let environment = ProcessInfo.processInfo.environment["SEQREC_DATA_DIR"], !environment.isEmpty {
            return environment
        }
        return "data"
    }

    /// The verified cached file, acquiring it first if needed; also how it was obtained.
    package func acquire(cacheDirectory: String, log: (String) -> Void) throws -> (file: URL, origin: String) {
        let acquired = try acquireBytes(cacheDirectory: cacheDirectory, log: log)
        return (acquired.file, acquired.origin)
    }

    /// As `acquire`, with the verified bytes themselves (what the file held when it was checked).
    func acquireBytes(cacheDirectory: String, log: (String) -> Void) throws -> (file: URL, origin: String, bytes: [UInt8]) {
        let destination = WorkingDirectory.url(cacheDirectory).appendingPathComponent(name).appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: destination.path) {
            let cached: [UInt8]
            do throws(RegularFileError) {
                cached = [UInt8](try RegularFile.read(destination))
            } catch {
                throw DataError.unreadableFile(path: destination.path, reason: error.reason)
            }
            do {
                try DatasetVerifier.verify(cached, expectation: expectation, dataset: name)
            } catch let error as DataError {
                throw DataError.verificationFailed(
                    dataset: name, reason: "the cached file \(destination.path) is not the expected data "
                        + "(\(error.bareReason)); delete it to acquire the dataset again")
            }
            log("\(name): using the verified cached file \(destination.path)")
            return (destination, "cache", cached)
        }

        var failures: [DataError.SourceFailure] = []
        for source in sources {
            log("\(name): trying \(source.name)")
            do {
                let fetched = try source.fetch(log)
                let canonical = DatasetVerifier.canonicalLines(fetched, skipHeader: source.hasHeader)
                log("\(name): verifying \(expectation.interactions) interactions"
                    + (expectation.sha256 == nil ? "" : " and their SHA-256"))
                try DatasetVerifier.verifyAndStore(canonical, expectation: expectation, dataset: name, destination: destination)
                log("\(name): stored \(destination.path)")
                return (destination, source.origin, canonical)
            } catch {
                let reason: String
                if case DataError.verificationFailed(_, let why) = error {
                    reason = "the data failed verification: \(why)"
                } else {
                    reason = String(describing: error)
                }
                log("\(name): \(source.name) failed: \(reason)")
                failures.append(DataError.SourceFailure(source: source.name, reason: reason))
            }
        }
        throw DataError.acquisitionFailed(
            dataset: name, failures: failures,
            manualCommand: manualCommand.replacingOccurrences(of: "{cache}", with: cacheDirectory))
    }
}

extension DataError {
    /// A verification failure's reason without the dataset name; else the whole message.
    var bareReason: String {
        if case .verificationFailed(_, let reason) = self { return reason }
        return description
    }
}
