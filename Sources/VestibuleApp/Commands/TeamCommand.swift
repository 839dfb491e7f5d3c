import ArgumentParser
import Features
import Foundation
import Logging
import Storage
import Support

/// `vestibule team ...`: TrustedLogin teams from the command line (the admin pages at /teams do
/// the same for signed-in people).
struct TeamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team", abstract: "Create and manage TrustedLogin teams.",
        subcommands: [Create.self, List.self, CycleKeys.self, Resume.self, Deactivate.self])

    /// The team service on the configured database and secret key.
    static func service(_ options: ConfigOptions) async throws -> TeamService {
        let configuration = try await options.load()
        let (storage, _) = try StorageOpening.open(configuration, connections: 1, logger: LogSetup.bootstrap(level: configuration.logLevel))
        let teams = TeamService(
            storage: storage, clock: SystemClock(), random: SystemRandom(),
            secretKey: try ClusterSecretKey.load(path: configuration.secretKeyFile, storage: storage))
        _ = try teams.upgradeLookups()
        return teams
    }

    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func printKeys(_ team: TeamService.CreatedTeam, verb: String) {
        print("""
            Team \(team.id) "\(team.name)" \(verb).
              public key:  \(team.publicKey)   (goes in the plugin: the client SDK's auth/api_key)
              private key: \(team.privateKey)   (for the Connector; shown once, keep it now)
            """)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a team and print its keys.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The team's name.") var name: String
        @Option(help: "A user id (`vestibule user list`) to own the team; without one, the team is used by its keys alone.")
        var owner: Int64?
        @Flag(help: "Print {\"id\", \"name\", \"publicKey\", \"privateKey\"} as JSON.") var json = false

        func run() async throws {
            let service = try await TeamCommand.service(options)
            let ownerID = owner.map { UserID(rawValue: $0) }
            if let ownerID, try !service.userExists(ownerID) {
                throw ValidationError("there is no user \(ownerID.rawValue); `vestibule user list` shows them")
            }
            let team = try service.create(name: name, owner: ownerID)
            if json { try TeamCommand.printJSON(team) } else { TeamCommand.printKeys(team, verb: "created") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the teams.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON.") var json = false

        struct Row: Encodable {
            let id: TeamID
            let name: String
            let status: String
            let publicKey: String
            let apiEndpoint: String?
            let verifiedAt: String?
        }

        func run() async throws {
            let rows = try await TeamCommand.service(options).list().map { team in
                Row(
                    id: team.id, name: team.name, status: team.status.rawValue, publicKey: team.publicKey,
                    apiEndpoint: team.apiEndpoint, verifiedAt: team.verifiedAt.map(UTCDate.iso8601))
            }
            if json { return try TeamCommand.printJSON(rows) }
            if rows.isEmpty { return print("No teams yet: vestibule team create --name NAME") }
            for row in rows {
                print("\(row.id)\t\(row.status)\t\(row.publicKey)\t\(row.name)\t\(row.verifiedAt.map { "verified \($0)" } ?? "not verified")")
            }
        }
    }

    struct CycleKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cycle-keys", abstract: "Replace a team's keys; the old ones stop working at once.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The team id.") var id: TeamID
        @Flag(help: "Print the new keys as JSON.") var json = false

        func run() async throws {
            let team = try await TeamCommand.service(options).cycleKeys(teamID: id)
            if json { try TeamCommand.printJSON(team) } else { TeamCommand.printKeys(team, verb: "has new keys") }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Leave pause mode (after a brute-force report), or make an inactive team active.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The team id.") var id: TeamID

        func run() async throws {
            try await TeamCommand.service(options).resume(teamID: id)
            print("Team \(id) is active.")
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a team as not in good standing: its Connector's verification answers 402.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The team id.") var id: TeamID

        func run() async throws {
            try await TeamCommand.service(options).deactivate(teamID: id)
            print("Team \(id) is inactive.")
        }
    }
}

/// A team id on the command line: a positive whole number.
extension RecordID: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
