// What a search is, as `runner tune` records it in its directory's `search.json` when the
// search starts: Tune refuses a rerun with anything else changed, and Compare checks that a
// directory holds one.

import Foundation

struct SearchIdentity: Codable, Equatable, Sendable {
    /// The file name in the search directory.
    static let fileName = "search.json"

    var tune: String
    var baseConfigHash: String
    var jobs: Int

    enum CodingKeys: String, CodingKey {
        case tune, jobs
        case baseConfigHash = "base_config_hash"
    }
}
