// The files a run keeps beside its report (written by Runner/RunCheckpoint.swift; see
// docs/trained-models.md), and the one question lower layers ask of them: is there a
// resumable state, of which config, after which epoch.

import Foundation

public enum RunFiles {
    /// The weights the report's test metrics come from (PyTorch state_dict names).
    public static let model = "model.safetensors"
    /// The training state after the last complete epoch (until the run ends with status ok).
    public static let state = "state.safetensors"
    /// Dense id -> raw dataset id, for items and users.
    public static let ids = "ids.json"
    static let modelFormat = "seqrec-model-1"
    static let stateFormat = "seqrec-state-1"

    /// The saved state's epoch and config hash, from the file's header only (cheap enough
    /// for plans of many points); nil when there is no readable state.
    public static func stateSummary(in directory: URL) -> (epoch: Int, configHash: String)? {
        let url = directory.appendingPathComponent(state)
        guard let metadata = try? SafeTensorsFile.readMetadata(contentsOf: url),
              metadata["format"] == stateFormat, let epoch = metadata["epoch"].flatMap(Int.init),
              let hash = metadata["config_hash"] else { return nil }
        return (epoch, hash)
    }
}
