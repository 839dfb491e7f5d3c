import Foundation
import Storage
import Support
import Web

/// The finishing step every login method ends with, in one transaction: consume the one-time
/// request (a Trezor challenge, a Trustee attempt), forgive the regulation reservation, sign in
/// to the identity's account (made now if new) or link the identity to the signed-in account,
/// and rotate the session. A method only proves who the person is; this decides what it means.
public struct SignInStep: Sendable {
    let storage: any Storage
    let accounts: AccountService
    let regulation: Regulation
    let sessions: SessionManager

    public init(storage: any Storage, accounts: AccountService, regulation: Regulation, sessions: SessionManager) {
        self.storage = storage
        self.accounts = accounts
        self.regulation = regulation
        self.sessions = sessions
    }

    /// Who the method proved the person to be.
    public struct Proof: Sendable {
        public let method: String
        public let subject: String
        /// Shown beside the identity on the account page.
        public let detail: String
        /// The name a new account starts with, when the method gives one.
        public let displayName: String

        public init(method: String, subject: String, detail: String, displayName: String = "") {
            self.method = method
            self.subject = subject
            self.detail = detail
            self.displayName = displayName
        }
    }

    public struct Completion: Sendable {
        public let session: IssuedSession
        public let userID: UserID
        /// True when this sign-in made the account.
        public let created: Bool
        /// True when the identity was linked to the account that was signed in already.
        public let linked: Bool
    }

    public enum Refusal: Error, Equatable {
        /// `consume` found the request used: another request finished it first.
        case alreadyUsed
        /// The identity is another account's than the one signed in.
        case belongsToAnotherAccount
    }

    /// - Parameters:
    ///   - consume: marks the method's one-time request used; false when it already was (atomic).
    ///   - settle: anything the method records about the outcome, in the same transaction.
    public func finish(
        _ proof: Proof, session: Stored<Session>, reservation: Regulation.Reservation, client: Request,
        consume: (any Transaction) throws -> Bool,
        settle: (any Transaction, Completion) throws -> Void = { _, _ in }
    ) throws -> Completion {
        let outcome = try storage.write { tx -> Result<Completion, Refusal> in
            guard try consume(tx) else { return .failure(.alreadyUsed) }
            try regulation.forgive(tx, reservation)
            let signIn: AccountService.SignIn
            do {
                signIn = try accounts.signIn(
                    tx, method: proof.method, subject: proof.subject, detail: proof.detail, displayName: proof.displayName,
                    linkingTo: session.userID)
            } catch AccountService.SignInError.belongsToAnotherAccount {
                return .failure(.belongsToAnotherAccount)
            }
            let issued = try sessions.issue(
                tx, userID: signIn.userID, replacing: session.id, ipAddress: client.remoteAddress, userAgent: client.userAgent)
            let completion = Completion(
                session: issued, userID: signIn.userID, created: signIn.created, linked: session.userID != nil)
            try settle(tx, completion)
            return .success(completion)
        }
        return try outcome.get()
    }
}
