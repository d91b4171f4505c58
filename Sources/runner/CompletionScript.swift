import ArgumentParser

// `runner --generate-completion-script bash`: ArgumentParser's script, which completes the
// subcommands, their options and their file and directory arguments, plus what it cannot know:
// `runner FILE...` (no subcommand) runs experiment files, so the first word, and every word
// after an experiment file, also completes `*.yaml`/`*.yml` files and directories.

enum CompletionScript {
    /// The bash script, or nil when the arguments ask for something else.
    static func bash(arguments: [String]) -> String? {
        guard arguments == ["--generate-completion-script", "bash"] || arguments == ["--generate-completion-script=bash"]
        else { return nil }
        return addingExperimentFiles(to: RunnerCommand.completionScript(for: .bash))
    }

    /// Adds experiment-file completion where the script offers only the subcommand names. A
    /// script without that line (another ArgumentParser release) is returned unchanged, which
    /// `CLITests` notices.
    static func addingExperimentFiles(to script: String) -> String {
        var lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let index = lines.firstIndex(where: { $0.contains("COMPREPLY+=($(compgen -W '") && $0.contains("-- \"${cur}\"))") })
        else { return script }
        let indent = String(lines[index].prefix { $0 == " " })
        lines[index] = "\(indent)if [[ ${COMP_CWORD} -eq 1 ]]; then\n    \(lines[index])\n\(indent)fi\n"
            + "\(indent)__runner_add_completions -o plusdirs -fX '!*.@(yaml|yml)'"
        return lines.joined(separator: "\n")
    }
}
