// Runs one validated experiment end to end: data -> model -> training -> evaluation ->
// report. The CLI calls only this.

/// How the CLI wants a run to behave (flags, not experiment settings).
public struct RunOptions: Sendable {
    /// Silence progress output.
    public var quiet: Bool = false
    /// Path of the YAML file the spec came from (recorded; base for relative data paths).
    public var configPath: String = ""
    public init(quiet: Bool = false, configPath: String = "") {
        self.quiet = quiet
        self.configPath = configPath
    }
}

/// The end of a run, as the CLI maps it to an exit code (0 ok, 1 failed/diverged/interrupted).
public struct RunOutcome: Sendable {
    public var status: String
    public var reportPath: String
    public var message: String
    public var exitCode: Int32 { status == "ok" ? 0 : 1 }
}

public enum ExperimentRunner {
    public static func run(_ spec: ExperimentSpec, options: RunOptions) -> RunOutcome {
        RunOutcome(status: "failed", reportPath: "", message: "running experiments is not yet implemented")
    }
}
