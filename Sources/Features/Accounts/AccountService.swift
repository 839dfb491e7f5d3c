import Foundation
import GRDB
import HTTPTypes
import Storage
import Support
import Web

/// Users and their identities: what every login method calls to sign a person in.
public struct AccountService: Sendable {
    let database: AppDatabase
    let clock: any WallClock
    let store = AccountStore()
    let sessionStore = SessionStore()

    public init(database: AppDatabase, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    public struct SignIn: Sendable {
        public let userID: Int64
        /// True when this login created the account.
        public let created: Bool
    }

    public enum SignInError: Error {
        /// The identity belongs to another account than the one it was to be linked to.
        case belongsToAnotherAccount
    }

    /// Finds the account behind an identity, or creates one; with `linkingTo`, adds the identity to
    /// that account instead. Runs in the caller's transaction (the one accepting the login).
    public func signIn(
        _ db: Database, method: String, subject: String, detail: String, linkingTo: Int64?
    ) throws -> SignIn {
        let now = clock.now()
        if let existing = try store.identity(db, method: method, subject: subject) {
            if let linkingTo, linkingTo != existing.userID { throw SignInError.belongsToAnotherAccount }
            try store.touch(db, identityID: existing.id!, detail: detail, at: now)
            return SignIn(userID: existing.userID, created: false)
        }
        if let linkingTo {
            _ = try store.insert(db, Identity(userID: linkingTo, method: method, subject: subject, detail: detail, at: now))
            return SignIn(userID: linkingTo, created: false)
        }
        let user = try store.createUser(db, displayName: "", at: now)
        _ = try store.insert(db, Identity(userID: user.id!, method: method, subject: subject, detail: detail, at: now))
        return SignIn(userID: user.id!, created: true)
    }

    public struct Overview: Sendable {
        public let user: User
        public let identities: [Identity]
        public let sessions: [StoredSession]
    }

    public func overview(userID: Int64) throws -> Overview? {
        try database.read { db in
            guard let user = try store.user(db, id: userID) else { return nil }
            return Overview(
                user: user, identities: try store.identities(db, userID: userID),
                sessions: try sessionStore.sessions(db, userID: userID))
        }
    }

    /// Sets the display name: 1 to 64 characters, no control or direction-changing characters.
    public func rename(userID: Int64, to name: String) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(trimmed.count) else {
            throw HTTPError(.unprocessableContent, "A display name has 1 to 64 characters.", field: "displayName")
        }
        guard !trimmed.unicodeScalars.contains(where: Self.isDisallowed) else {
            throw HTTPError(.unprocessableContent, "A display name cannot hold control or text-direction characters.", field: "displayName")
        }
        try database.write { db in try store.rename(db, userID: userID, to: trimmed) }
    }

    static func isDisallowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: return true
        default: return false
        }
    }

    /// Ends one of the user's sessions; false when it is not theirs (or gone).
    public func revokeSession(userID: Int64, sessionID: Int64) throws -> Bool {
        try database.write { db in try sessionStore.delete(db, id: sessionID, userID: userID) }
    }
}
