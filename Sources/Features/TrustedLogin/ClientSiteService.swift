import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// What customer sites (the TrustedLogin client SDK) do: grant, extend and revoke support access,
/// check a support login, report failed logins and brute force.
struct ClientSiteService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let random: any RandomSource
    let settings: TrustedLoginSettings

    static let codes: Set<String> = ["security_check_failed", "login_failed", "endpoint_mismatch", "secret_id_unknown"]

    // MARK: POST sites

    /// Creates the grant, or (the same secretId again) replaces every field of it: create and
    /// extend are the same request, one atomic upsert (parallel requests leave one grant).
    func upsert(team: Stored<Team>, request: Request) throws -> Response {
        var fields = try BodyFields(request)
        let secretID = fields.string("secretId", format: FieldFormat.hex(32))
        let identifier = fields.string("identifier", max: 255)
        let siteURL = fields.string("siteUrl", max: 2048, format: FieldFormat.isURL, formatRule: .url)
        if let key = fields.string("publicKey", max: 128), key != team.publicKey {
            fields.fail("publicKey", "The public key is not this team's public key.")
        }
        let accessKey = fields.string("accessKey", max: 255, format: FieldFormat.isToken)
        let wpUserID = fields.integer("wpUserId", required: false)
        let expiresAt = expiry(&fields)
        let version = fields.string("version", required: false, max: 50)
        let nonce = fields.string("nonce", format: FieldFormat.hex(48))
        let clientPublicKey = fields.string("clientPublicKey", format: FieldFormat.hex(64))
        let metaData = Self.metaData(&fields)
        if let claimed = fields.integer("team", required: false), claimed != team.id.rawValue {
            fields.fail("team", rule: .selection)
        }
        try fields.check()
        let now = clock.now()
        let grant = Grant(
            teamID: team.id, secretID: secretID!, accessKey: accessKey!, identifier: identifier!, siteURL: siteURL!,
            clientPublicKey: clientPublicKey!, nonce: nonce!, metaData: metaData, wpUserID: wpUserID,
            expiresAt: expiresAt, version: version, at: now)
        try storage.write { tx in
            try tx.grants.upsert(grant)
            try tx.grants.purgeExpired(now: now, team: team.id)
        }
        return Response.json(.object([("success", .bool(true)), ("siteId", .string(grant.secretID))]), status: .created)
    }

    /// `expiresAt`: a Unix time, or `false` for no expiry.
    private func expiry(_ fields: inout BodyFields) -> Date? {
        guard let value = fields.value("expiresAt"), !value.isNull, value != .bool(false) else { return nil }
        guard let seconds = value.looseInteger, seconds > 0 else {
            fields.fail("expiresAt", "The expires at field must be a Unix time or false.")
            return nil
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// `metaData`: `[]`, or an object (or list) of strings, whole numbers, booleans or nulls, kept
    /// as PHP's json_encode writes it. An empty one is `[]`, never `{}`: the Connector decodes JSON
    /// two ways, and only `[]` encodes the same under both.
    static func metaData(_ fields: inout BodyFields) -> String {
        guard let value = fields.value("metaData"), !value.isNull else { return "[]" }
        func scalar(_ item: JSONValue) -> Bool {
            switch item {
            case .string, .bool, .null: return true
            case .number: return item.integer != nil
            default: return false
            }
        }
        switch value {
        case .array(let items) where items.allSatisfy(scalar) && items.count <= 100:
            return String(decoding: PHPJSON.encode(value), as: UTF8.self)
        case .object(let members) where members.allSatisfy({ scalar($0.value) }) && members.count <= 100:
            return members.isEmpty ? "[]" : String(decoding: PHPJSON.encode(value), as: UTF8.self)
        default:
            fields.fail("metaData", "The meta data field must be an object of strings, whole numbers or booleans.")
            return "[]"
        }
    }

    // MARK: DELETE sites/{secretId}

    /// Revokes a grant. An unknown secret (or another team's) is not an error: the client would
    /// retry five times; it gets `deleted: false` instead, and learns nothing about other teams.
    func revoke(team: Stored<Team>, secretID: String) throws -> Response {
        let deleted = try storage.write { tx in try tx.grants.delete(team: team.id, secretID: secretID) }
        if deleted { return Response.json(.object([("deleted", .bool(true))])) }
        return Response.json(.object([("deleted", .bool(false)), ("reason", .string("unknown_secret_id"))]))
    }

    // MARK: POST sites/{secretId}/verify-identifier

    /// A support agent is logging in on the customer site: the grant must be live and the team not
    /// paused. Every call is recorded as a support login.
    func verifyIdentifier(team: Stored<Team>, secretID: String, request: Request) throws -> Response {
        var fields = try BodyFields(request)
        _ = fields.integer("timestamp")
        let userAgent = fields.string("user_agent", required: false, max: 255, allowEmpty: true)
        let userIP = fields.string("user_ip", required: false, allowEmpty: true, format: FieldFormat.isIP, formatRule: .ip)
        let siteURL = fields.string("site_url", max: 2048)
        try fields.check()
        let grant = try liveGrant(team: team, secretID: secretID)
        try storage.write { tx in
            try tx.teamLogs.record(
                SupportLogin(
                    teamID: team.id, grantID: grant.id, secretID: secretID, siteURL: siteURL ?? grant.siteURL, event: "login",
                    userAgent: userAgent, ipAddress: userIP.flatMap { $0.isEmpty ? nil : $0 }, at: clock.now()))
        }
        return .noContent
    }

    /// The team's grant for `secretID`: 404 when unknown or another team's, 423 while the team is
    /// paused, 410 once expired.
    func liveGrant(team: Stored<Team>, secretID: String) throws -> Stored<Grant> {
        guard !secretID.isEmpty, let grant = try storage.read({ tx in try tx.grants.grant(team: team.id, secretID: secretID) })
        else { throw HTTPError.notFound("Site not found.") }
        try team.requireNotPaused()
        guard grant.record.isLive(at: clock.now()) else { throw HTTPError(.gone, "This support access has expired.") }
        return grant
    }

    // MARK: POST report-brute-force

    /// A customer site tripped its lockdown: record the report and pause the team.
    func reportBruteForce(team: Stored<Team>, request: Request) throws -> Response {
        var fields = try BodyFields(request)
        let userAgent = fields.string("user_agent", required: false, max: 512, allowEmpty: true)
        let userIP = fields.string("user_ip", required: false, allowEmpty: true, format: FieldFormat.isIP, formatRule: .ip)
        let siteURL = fields.string("site_url", required: false, max: 2048, allowEmpty: true)
        if let timestamp = fields.value("timestamp"), !timestamp.isNull, timestamp.integer == nil, timestamp.string == nil {
            fields.fail("timestamp", rule: .integer)
        }
        try fields.check()
        try storage.write { tx in
            try tx.teamLogs.record(
                TeamEvent(
                    teamID: team.id, event: "brute-force-reported", siteURL: siteURL, userAgent: userAgent,
                    ipAddress: userIP.flatMap { $0.isEmpty ? nil : $0 }, at: clock.now()))
            if team.status == .active { _ = try tx.teams.setStatus(of: team.id, to: .paused) }
        }
        return .noContent
    }

    // MARK: POST sites/{secretId}/login-attempts

    /// A customer site reports a failed support login. Limited per secret and per team.
    func reportLoginAttempt(team: Stored<Team>, secretID: String, request: Request) throws -> Response {
        var fields = try BodyFields(request)
        let code = fields.string("code", max: 64)
        if let code, !Self.codes.contains(code) { fields.fail("code", rule: .selection) }
        let reason = fields.string("detailed_reason", required: false, max: 4096, allowEmpty: true) ?? ""
        let identifierHash = identifierHashField(&fields)
        let siteURL = fields.string("client_site_url", max: 2048, format: FieldFormat.isURL, formatRule: .url)
        let userAgent = fields.string("client_user_agent", required: false, max: 512, allowEmpty: true)
        let clientIP = fields.string("client_ip", required: false, format: FieldFormat.isIP, formatRule: .ip)
        let attemptedAt = attemptTime(&fields)
        try fields.check()
        guard !secretID.isEmpty, secretID.utf8.count <= 128 else { throw HTTPError.notFound("Site not found.") }
        let now = clock.now()
        let attempt = LoginAttempt(
            id: "lpat_" + random.uuid(), teamID: team.id, secretID: secretID, code: code!, detailedReason: reason,
            identifierHash: identifierHash?.lowercased(), clientSiteURL: siteURL!, clientUserAgent: userAgent,
            clientIP: clientIP, attemptedAt: attemptedAt!, receivedAt: now)
        let limited = try storage.write { tx -> Int? in
            if let wait = try rateLimited(tx, team: team.id, secretID: secretID, now: now) { return wait }
            try tx.teamLogs.record(attempt)
            return nil
        }
        if let wait = limited {
            throw HTTPError.tooManyRequests(retryAfter: wait, "Too many login attempts reported; try again in \(wait) seconds.")
        }
        return Response.json(.object([("id", .string(attempt.id))]), status: .created)
    }

    /// `identifier_hash`: 64 hexadecimal characters (Laravel: `size:64` and a regex, each its message).
    private func identifierHashField(_ fields: inout BodyFields) -> String? {
        guard let text = fields.string("identifier_hash", required: false) else { return nil }
        guard text.unicodeScalars.count == 64 else {
            fields.fail("identifier_hash", rule: .size(64))
            return nil
        }
        guard FieldFormat.hex(64)(text) else {
            fields.fail("identifier_hash", rule: .format)
            return nil
        }
        return text
    }

    /// `attempted_at`: a date, at most an hour ahead of our clock.
    private func attemptTime(_ fields: inout BodyFields) -> Date? {
        guard let text = fields.string("attempted_at", max: 64) else { return nil }
        guard let date = ClientDate.parse(text) else {
            fields.fail("attempted_at", rule: .date)
            return nil
        }
        guard date <= clock.now().addingTimeInterval(3600) else {
            fields.fail("attempted_at", rule: .beforeInAnHour)
            return nil
        }
        return date
    }

    /// Seconds to wait, when the secret or the team has reported too many attempts in the window.
    /// Serialized on the team, so the limit holds when reports arrive at several nodes at once.
    private func rateLimited(_ tx: any Transaction, team: TeamID, secretID: String, now: Date) throws -> Int? {
        try tx.serialize(on: "login-attempts:\(team)")
        let since = now - settings.loginAttemptsWindow
        for (limit, recent) in [
            (settings.loginAttemptsPerSecret, try tx.teamLogs.recentAttempts(team: team, secretID: secretID, since: since)),
            (settings.loginAttemptsPerTeam, try tx.teamLogs.recentAttempts(team: team, secretID: nil, since: since)),
        ] where recent.count >= limit {
            let oldest = recent.oldest ?? now
            return max(1, Int((oldest.addingTimeInterval(settings.loginAttemptsWindow).timeIntervalSince(now)).rounded(.up)))
        }
        return nil
    }
}
