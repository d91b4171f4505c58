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

    /// A model or state file, parsed with every offset checked; `kind` names it in the
    /// message when it does not exist.
    static func read(_ url: URL, kind: String) throws(CheckpointError) -> SafeTensorsFile {
        try readHashed(url, kind: kind).file
    }

    /// As `read`, with the SHA-256 of the very bytes parsed (`modelSHA256`).
    static func readHashed(_ url: URL, kind: String) throws(CheckpointError) -> (file: SafeTensorsFile, sha256: String) {
        let bytes = try readBytes(url, kind: kind)
        do {
            return (try SafeTensorsFile(data: bytes), modelSHA256(bytes))
        } catch {
            throw .unreadable(path: url.path, reason: "\(error)")
        }
    }

    /// The bytes of a run file, which must be a regular file (RegularFile: a FIFO in its place
    /// would block the run); `kind` names it in the message.
    static func readBytes(_ url: URL, kind: String) throws(CheckpointError) -> Data {
        do throws(RegularFileError) {
            return try RegularFile.read(url)
        } catch {
            if error.isMissing { throw .missing(path: url.path, kind: kind) }
            throw .cannotRead(path: url.path, kind: kind, reason: error.reason)
        }
    }

    /// What identifies a model: lower-case hex SHA-256 of its model.safetensors bytes. Evaluation
    /// files record it (`model_sha256`); compare checks them against the run's file with it.
    package static func modelSHA256(_ bytes: some DataProtocol) -> String {
        SHA256.hex(bytes)
    }

    /// `modelSHA256` of the file at `url`, read in pieces.
    package static func modelSHA256(ofFileAt url: URL) throws -> String {
        try SHA256.hex(ofFileAt: url.path)
    }

    /// The saved state's epoch and config hash, from the file's header only (cheap enough
    /// for plans of many points); nil when there is no readable state.
    package static func stateSummary(in directory: URL) -> (epoch: Int, configHash: String)? {
        let url = directory.appendingPathComponent(state)
        guard let metadata = try? SafeTensorsFile.readMetadata(contentsOf: url),
              metadata["format"] == stateFormat, let epoch = metadata["epoch"].flatMap(Int.init),
              let hash = metadata["config_hash"] else { return nil }
        return (epoch, hash)
    }
}
