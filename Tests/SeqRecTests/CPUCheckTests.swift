import CPUCheck
import Testing

// The executables' startup check (Sources/CPUCheck): this machine passes it (the suite runs
// haswell-compiled code, so it must), and the refusal message names what is missing.

/// The NUL-terminated text C wrote into `buffer`.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

@Test func thisCPUHasEveryRequiredFeature() {
    var missing = [CChar](repeating: 0, count: 128)
    #expect(seqrec_missing_cpu_features(&missing, missing.count) == 0)
    #expect(text(missing) == "")
}

@Test func theRefusalMessageNamesTheProgramAndTheMissingFeatures() {
    var buffer = [CChar](repeating: 0, count: 640)
    let length = seqrec_cpu_refusal_message("runner", "avx2 fma", &buffer, buffer.count)
    let message = text(buffer)
    #expect(Int(length) == message.utf8.count, "the message was truncated")
    #expect(message == """
        runner: this CPU lacks avx2 fma, which this build needs: SeqRec's numeric code is compiled \
        with -target-cpu haswell (x86-64-v3: Intel since 2013, AMD since 2015). Run it on a newer \
        x86-64 or an arm64 machine, or build from source without the haswell flags in \
        Package.swift (slower; see docs/development.md).

        """)
}
