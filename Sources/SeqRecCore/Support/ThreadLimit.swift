// The most worker threads a run may use. Config validates `training.threads` against it and
// Tensor caps "all cores" with it, so it sits in `Support/`, below both.

package enum ThreadLimit {
    /// The most worker threads (`training.threads` is 1...maximum; null means min(cores, maximum)).
    package static let maximum = 256
}
