import Crypto
import Foundation
import Storage
import Support

public struct SessionSettings: Sendable {
    /// A session unused for this long ends.
    public var idleTimeout: TimeInterval
    /// A session ends this long after it began, however active.
    public var absoluteTimeout: TimeInterval
    /// Cookies carry `Secure` (and the `__Host-` prefix) when the public URL is https.
    public var secureCookies: Bool

    public init(idleTimeout: TimeInterval = 8 * 3600, absoluteTimeout: TimeInterval = 7 * 86400, secureCookies: Bool = false) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.secureCookies = secureCookies
    }

    public var cookieName: String { secureCookies ? "__Host-vestibule" : "vestibule_session" }
    /// The signed CSRF cookie of a visitor without a session (double-submit, no row).
    public var anonymousCookieName: String { secureCookies ? "__Host-vestibule-csrf" : "vestibule_csrf" }
}

/// A session just created: the raw token goes into the cookie, only its hash into the database.
public struct IssuedSession: Sendable {
    public let token: String
    public let record: Stored<Session>
}

/// Creates, finds, rotates and ends browser sessions. The cookie holds a random 256-bit token;
/// the database holds its SHA-256. The CSRF token is an HMAC of that hash under a key derived
/// from the secret key, so it needs no storage and changes whenever the session does.
///
/// A visitor who has not started to sign in has no session and no row: their CSRF token is the
/// HMAC of a random value kept in a cookie of its own (a signed double-submit cookie). The row is
/// made when a sign-in starts (a Trezor challenge); until the session is signed in, the visitor's
/// token is accepted for it too, so a page does not have to learn a new token half-way.
public struct SessionManager: Sendable {
    public let settings: SessionSettings
    let clock: any WallClock
    let random: any RandomSource
    private let csrfKey: SymmetricKey

    public init(settings: SessionSettings, secretKey: SecretKey, clock: any WallClock, random: any RandomSource) {
        self.settings = settings
        self.clock = clock
        self.random = random
        csrfKey = secretKey.subkey(for: "csrf")
    }

    public static func hash(token: String) -> Data { Data(SHA256.hash(data: Array(token.utf8))) }

    /// Makes a new session, for `userID` or anonymous, inside the caller's transaction.
    /// Pass the current session's id to rotate it: that row is deleted in the same transaction.
    public func issue(
        _ tx: any Transaction, userID: UserID?, replacing previousID: SessionID?, ipAddress: String, userAgent: String
    ) throws -> IssuedSession {
        if let previousID { try tx.sessions.delete(previousID) }
        let token = random.token()
        let now = clock.now()
        let record = try tx.sessions.insert(
            Session(
                tokenHash: Self.hash(token: token), userID: userID, createdAt: now, lastSeenAt: now,
                expiresAt: now.addingTimeInterval(settings.absoluteTimeout),
                ipAddress: String(ipAddress.prefix(64)), userAgent: String(userAgent.prefix(512))))
        return IssuedSession(token: token, record: record)
    }

    /// The live session for a cookie token; a dead one is deleted and reported as nil.
    func resume(token: String, storage: any Storage) throws -> Stored<Session>? {
        let hash = Self.hash(token: token)
        guard let found = try storage.read({ tx in try tx.sessions.session(tokenHash: hash) }) else { return nil }
        let now = clock.now()
        guard found.record.isLive(at: now, idleTimeout: settings.idleTimeout) else {
            try storage.write { tx in try tx.sessions.delete(found.id) }
            return nil
        }
        // Writing on every request would serialize reads behind the writer: once a minute is enough.
        if now.timeIntervalSince(found.lastSeenAt) > 60 {
            try storage.write { tx in try tx.sessions.touch(found.id, at: now) }
        }
        return found
    }

    public func csrfToken(for session: Stored<Session>) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: session.tokenHash, using: csrfKey)
        return Base64URL.encode(Array(mac))
    }

    /// The CSRF token of an anonymous visitor's cookie value. A distinct message from a session's
    /// (which is the HMAC of 32 bytes of hash), so the two can never be the same token.
    public func anonymousCSRFToken(for cookieValue: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("anonymous:\(cookieValue)".utf8), using: csrfKey)
        return Base64URL.encode(Array(mac))
    }

    /// A new anonymous visitor's cookie: a random 256-bit value.
    public func anonymousCookie() -> SetCookie {
        SetCookie(
            name: settings.anonymousCookieName, value: random.token(), maxAge: Int(settings.absoluteTimeout),
            secure: settings.secureCookies)
    }

    public func cookie(for issued: IssuedSession) -> SetCookie {
        SetCookie(
            name: settings.cookieName, value: issued.token, maxAge: Int(settings.absoluteTimeout),
            secure: settings.secureCookies)
    }

    public var clearingCookie: SetCookie {
        SetCookie.expired(name: settings.cookieName, secure: settings.secureCookies)
    }
}
