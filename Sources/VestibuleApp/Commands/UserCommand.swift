import ArgumentParser
import Features
import Foundation
import Storage
import Support

/// `vestibule user ...`: the people with accounts, and who the site's operators are.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "List users and make or unmake site operators.", subcommands: [List.self, Operator.self])

    static func storage(_ options: ConfigOptions) async throws -> any Storage {
        let configuration = try await options.load()
        return try StorageOpening.open(configuration, connections: 1, logger: LogSetup.bootstrap(level: configuration.logLevel)).0
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users: id, name, sign-in methods, teams, operator.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON.") var json = false

        struct Row: Encodable {
            let id: Int64
            let name: String
            let email: String?
            let methods: [String]
            let teams: Int
            let isOperator: Bool
            let createdAt: String
        }

        func run() async throws {
            let storage = try await UserCommand.storage(options)
            defer { storage.close() }
            let rows = try storage.read { tx in
                try tx.accounts.users().map { user in
                    Row(
                        id: user.id.rawValue, name: user.displayName, email: user.email,
                        methods: Array(Set(try tx.accounts.identities(of: user.id).map(\.method))).sorted(),
                        teams: try tx.memberships.teams(of: user.id).count, isOperator: user.isOperator,
                        createdAt: UTCDate.iso8601(user.createdAt))
                }
            }
            if json { return try TeamCommand.printJSON(rows) }
            if rows.isEmpty { return print("No users yet: the first sign-in makes one.") }
            for row in rows {
                print("\(row.id)\t\(row.name.isEmpty ? "(no name)" : row.name)\t\(row.methods.joined(separator: ","))\t\(row.teams) team(s)\(row.isOperator ? "\toperator" : "")")
            }
        }
    }

    struct Operator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "operator", abstract: "Make a user a site operator (sees every team), or with --revoke no longer.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user's id (`vestibule user list`).") var id: Int64
        @Flag(help: "Take the operator role away.") var revoke = false

        func run() async throws {
            let storage = try await UserCommand.storage(options)
            defer { storage.close() }
            guard try storage.write({ tx in try tx.accounts.setOperator(UserID(id), !revoke) }) else {
                throw ValidationError("there is no user \(id); `vestibule user list` shows them")
            }
            print(revoke ? "User \(id) is no longer an operator." : "User \(id) is an operator: they see every team.")
        }
    }
}
