import ArgumentParser
import Support

/// `vestibule`: the program's command line.
public struct VestibuleCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vestibule",
        abstract: "A self-hosted login portal and TrustedLogin support-access server (FastCGI, behind nginx).",
        version: VestibuleVersion.current,
        subcommands: [
            ServeCommand.self, DevCommand.self, MigrateCommand.self, TeamCommand.self, UserCommand.self, PurgeCommand.self,
            ImportSQLiteCommand.self,
        ])

    public init() {}
}

/// `--config FILE`, shared by every command. Environment variables `VESTIBULE_*` override the file.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "A JSON configuration file (default: $VESTIBULE_CONFIG, else ./vestibule.json if present).")
    var config: String?

    func load(developmentDefaults: Bool = false) async throws -> VestibuleConfiguration {
        try await VestibuleConfiguration.load(configFile: config, developmentDefaults: developmentDefaults)
    }
}
