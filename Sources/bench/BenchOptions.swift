// `--name value` options of the benchmarks that take only such pairs.

enum BenchOptions {
    /// Calls `handle` with each option and the argument after it ("" when none); `handle`
    /// returns false for an option it does not know, which stops the program naming it.
    static func forEach(_ arguments: [String], _ handle: (_ option: String, _ value: String) -> Bool) {
        var index = 0
        while index < arguments.count {
            let value = index + 1 < arguments.count ? arguments[index + 1] : ""
            guard handle(arguments[index], value) else { fatalError("unknown option \(arguments[index])") }
            index += 2
        }
    }
}
