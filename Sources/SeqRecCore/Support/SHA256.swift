// SHA-256 through the system's implementation: OpenSSL's libcrypto on Linux (the `CCrypto`
// system-library target, EVP digest API) and CommonCrypto on macOS. Hashes name configurations
// (`config_hash`, run ids) and data files (`dataset.source.sha256`, built-in dataset checks).
//
// Why `Support/`: Config, Data and Report all hash, and none of them may import another layer
// sideways or upward for it. `Support/` sits below every layer (like `Tensor/` it depends on
// nothing but the system), so each layer points down to it.

import Foundation
#if canImport(CommonCrypto)
import CommonCrypto
#else
import CCrypto
#endif

/// A streaming SHA-256 digest: `update` with the bytes in any number of pieces, then
/// `finalize` once. `SHA256.hex(_:)` and `SHA256.hex(ofFileAt:)` are the one-shot forms.
package struct SHA256: ~Copyable {
    /// Digest length in bytes.
    package static let byteCount = 32

    #if canImport(CommonCrypto)
    private var context = CC_SHA256_CTX()
    #else
    private let context: OpaquePointer
    #endif

    package init() {
        #if canImport(CommonCrypto)
        CC_SHA256_Init(&context)
        #else
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto could not initialise a SHA-256 context")
        }
        self.context = context
        #endif
    }

    deinit {
        #if !canImport(CommonCrypto)
        EVP_MD_CTX_free(context)
        #endif
    }

    /// Adds `bytes` to the message.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        #if canImport(CommonCrypto)
        // CC_LONG is 32-bit: feed larger buffers in pieces.
        var offset = 0
        while offset < bytes.count {
            let length = min(bytes.count - offset, Int(CC_LONG.max))
            CC_SHA256_Update(&context, base + offset, CC_LONG(length))
            offset += length
        }
        #else
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
            fatalError("libcrypto failed to update a SHA-256 digest")
        }
        #endif
    }

    /// Adds every region of `bytes` to the message.
    mutating func update(_ bytes: some DataProtocol) {
        for region in bytes.regions {
            region.withUnsafeBytes { update($0) }
        }
    }

    /// The 32-byte digest of everything added.
    consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Self.byteCount)
        #if canImport(CommonCrypto)
        CC_SHA256_Final(&digest, &context)
        #else
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1, length == Self.byteCount else {
            fatalError("libcrypto failed to finish a SHA-256 digest")
        }
        #endif
        return digest
    }

    /// Lower-case hex of `finalize()`: 64 characters.
    consuming func finalizeHex() -> String { Self.hexString(finalize()) }

    // MARK: - One-shot

    /// Lower-case hex SHA-256 of `bytes`.
    package static func hex(_ bytes: some DataProtocol) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    /// Lower-case hex SHA-256 of the file at `path`, read in `chunkSize`-byte pieces so that
    /// large data files are never held in memory whole.
    package static func hex(ofFileAt path: String, chunkSize: Int = 1 << 20) throws -> String {
        let file = try RegularFile.open(path)
        var hasher = SHA256()
        while case let chunk = try file.read(upToCount: chunkSize), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return hasher.finalizeHex()
    }

    static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
