import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// SHA-256 through the system library: FIPS 180-2 test vectors, streaming equals one-shot,
// and the file form reads in chunks to the same digest.

@Test func sha256MatchesStandardVectors() {
    #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
}

@Test func sha256StreamingEqualsOneShot() throws {
    let bytes = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
    var hasher = SHA256()
    var start = 0
    for length in [0, 1, 63, 64, 65, 4_096, 100_003] where start < bytes.count {
        let end = min(bytes.count, start + length)
        hasher.update(bytes[start..<end])
        start = end
    }
    #expect(start == bytes.count)
    let streamed = hasher.finalizeHex()
    #expect(streamed == SHA256.hex(bytes))
    #expect(SHA256.hex(Data(bytes)) == streamed)

    let file = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-\(UUID().uuidString).bin")
    try Data(bytes).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    #expect(try SHA256.hex(ofFileAt: file.path, chunkSize: 1_000) == streamed)
    #expect(try SHA256.hex(ofFileAt: file.path) == streamed)
}
