// Points of a grid that share a dataset load it once per process: the loaded, filtered
// interactions are kept by (dataset settings, base directory, and the seed for synthetic
// data, the only source the seed changes). The CLI makes one per process; tests make their own.
import Foundation

public final class DatasetCache: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [String: InteractionData] = [:]

    public init() {}

    func load(_ spec: DatasetSpec, seed: UInt64, baseDirectory: String,
              log: (String) -> Void) throws -> InteractionData {
        let key = "\(spec)|\(baseDirectory)|\(spec.synthetic == nil ? 0 : seed)"
        if let data = lock.withLock({ loaded[key] }) {
            log("dataset already loaded in this process: \(data.source.name)")
            return data
        }
        let data = try DatasetLoader.load(spec, seed: seed, baseDirectory: baseDirectory, log: log)
        lock.withLock { loaded[key] = data }
        return data
    }
}
