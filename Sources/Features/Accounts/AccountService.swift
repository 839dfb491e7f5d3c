import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// Users and their identities: what every login method calls to sign a person in.
public struct AccountService: Sendable {
    let storage: any Storage
    let clock: any WallClock

    public init(storage: any Storage, clock: any WallClock) {
        self.storage = storage
        self.clock = clock
    }

    public struct SignIn: Sendable {
        public let userID: UserID
        /// True when this login created the account.
        public let created: Bool
    }

    public enum SignInError: Error {
        /// The identity belongs to another account than the one it was to be linked to.
        case belongsToAnotherAccount
    }

    /// Finds the account behind an identity, or creates one; with `linkingTo`, adds the identity to
    /// that account instead. Runs in the caller's transaction (the one accepting the login). A new
    /// identity is added under a lock on it, looked up again: two first sign-ins with one key, on
    /// two nodes, make one account (a known identity needs no lock: it only gets touched).
    public func signIn(
        _ tx: any Transaction, method: String, subject: String, detail: String, displayName: String = "",
        linkingTo: UserID?
    ) throws -> SignIn {
        let now = clock.now()
        var existing = try tx.accounts.identity(method: method, subject: subject)
        if existing == nil {
            try tx.serialize(on: "identity:\(method):\(subject)")
            existing = try tx.accounts.identity(method: method, subject: subject)
        }
        if let existing {
            if let linkingTo, linkingTo != existing.userID { throw SignInError.belongsToAnotherAccount }
            try tx.accounts.touch(existing.id, detail: detail, at: now)
            return SignIn(userID: existing.userID, created: false)
        }
        if let linkingTo {
            _ = try tx.accounts.add(Identity(userID: linkingTo, method: method, subject: subject, detail: detail, at: now))
            return SignIn(userID: linkingTo, created: false)
        }
        let user = try tx.accounts.createUser(displayName: displayName, at: now)
        _ = try tx.accounts.add(Identity(userID: user.id, method: method, subject: subject, detail: detail, at: now))
        return SignIn(userID: user.id, created: true)
    }

    public struct Overview: Sendable {
        public let user: Stored<User>
        public let identities: [Stored<Identity>]
        public let sessions: [Stored<Session>]
    }

    /// Everything the account page shows, in one read.
    public func overview(userID: UserID) throws -> Overview? {
        try storage.read { tx in
            guard let user = try tx.accounts.user(userID) else { return nil }
            return Overview(
                user: user, identities: try tx.accounts.identities(of: userID), sessions: try tx.sessions.sessions(of: userID))
        }
    }

    /// Sets the display name: 1 to 64 characters, no control or direction-changing characters.
    public func rename(userID: UserID, to name: String) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(trimmed.count) else {
            throw HTTPError(.unprocessableContent, "A display name has 1 to 64 characters.", field: "displayName")
        }
        guard !trimmed.unicodeScalars.contains(where: Self.isDisallowed) else {
            throw HTTPError(.unprocessableContent, "A display name cannot hold control or text-direction characters.", field: "displayName")
        }
        try storage.write { tx in try tx.accounts.rename(userID, to: trimmed) }
    }

    /// Sets (or, with nil, clears) the email label.
    public func setEmail(userID: UserID, to email: String?) throws {
        try storage.write { tx in try tx.accounts.setEmail(userID, to: email) }
    }

    static func isDisallowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: return true
        default: return false
        }
    }

    /// Ends one of the user's sessions; false when it is not theirs (or gone).
    public func revokeSession(userID: UserID, sessionID: SessionID) throws -> Bool {
        try storage.write { tx in try tx.sessions.delete(sessionID, of: userID) }
    }
}
