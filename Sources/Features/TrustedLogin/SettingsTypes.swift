import Foundation

public struct TrustedLoginSettings: Sendable {
    /// Sign the envelopes get-envelope returns (the Connector 2.x pins the key and checks).
    public var envelopeSigning: Bool
    /// Failed-login reports accepted per secret and per team within `loginAttemptsWindow` seconds.
    public var loginAttemptsPerSecret: Int
    public var loginAttemptsPerTeam: Int
    public var loginAttemptsWindow: TimeInterval
    /// Days log records are kept before `purge` deletes them.
    public var logRetentionDays: Int
    /// Accept the log readers' private key as `?api_key=` (old callers). Off: URLs end up in logs
    /// (nginx writes the request line of every request it limits or refuses), and the private key
    /// alone is a full Connector credential.
    public var acceptApiKeyInQuery: Bool

    public init(
        envelopeSigning: Bool = true, loginAttemptsPerSecret: Int = 10, loginAttemptsPerTeam: Int = 100,
        loginAttemptsWindow: TimeInterval = 60, logRetentionDays: Int = 90, acceptApiKeyInQuery: Bool = false
    ) {
        self.acceptApiKeyInQuery = acceptApiKeyInQuery
        self.envelopeSigning = envelopeSigning
        self.loginAttemptsPerSecret = loginAttemptsPerSecret
        self.loginAttemptsPerTeam = loginAttemptsPerTeam
        self.loginAttemptsWindow = loginAttemptsWindow
        self.logRetentionDays = logRetentionDays
    }
}
