import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// The team's logs: support logins (as Connector 2.x's activity screen reads them) and the
/// failed logins customer sites reported.
struct LogService: Sendable {
    let storage: any Storage
    let clock: any WallClock

    // MARK: GET logs/logins/{teamId}[/site/{siteId}]

    /// Support logins in buckets, newest first: `range` weekly or monthly, `length` buckets
    /// (1–52, 12), `start` (YYYY-MM-DD, the oldest bucket's first day), rows when `data=1`,
    /// optionally one vendor user's (`user_id`).
    func logins(_ team: Stored<Team>, siteID: String?, query: FormFields) throws -> Response {
        let monthly = query["range"] == "monthly"
        let length = min(52, max(1, Int(query["length"] ?? "") ?? 12))
        let withRows = ["1", "true"].contains(query["data"] ?? "")
        let userFilter = query["user_id"].flatMap { Int64($0) }
        let now = clock.now()
        let periods = Self.periods(monthly: monthly, length: length, start: try Self.start(query["start"], now: now), now: now)
        let logins = try storage.read { tx in
            try tx.teamLogs.supportLogins(
                team: team.id, since: periods.last!.start, before: periods.first!.end, site: siteID, vendorUser: userFilter)
        }
        let buckets: [JSONValue] = periods.map { period in
            let rows = logins.filter { $0.occurredAt >= period.start && $0.occurredAt < period.end }
            return .object([
                ("count", .number(String(rows.count))),
                ("start", .string(Self.day(period.start))),
                ("end", .string(Self.day(period.end.addingTimeInterval(-1)))),
                ("data", .array(withRows ? rows.map(Self.row) : [])),
            ])
        }
        return Response.json(.array(buckets))
    }

    /// `start`: a date from 2000-01-01 to today, or none (the buckets end today). Anything else is
    /// a 422 naming it, never a silent default: the buckets would not be the ones asked for.
    static func start(_ text: String?, now: Date) throws(HTTPError) -> Date? {
        guard let text else { return nil }
        guard let date = ClientDate.parse(text), date <= now else {
            throw HTTPError.validation([("start", ["The start field must be a date from 2000-01-01 to today (YYYY-MM-DD)."])])
        }
        return date
    }

    /// The periods, newest first: weeks or calendar months (UTC), ending today or starting at `start`.
    static func periods(monthly: Bool, length: Int, start: Date?, now: Date) -> [(start: Date, end: Date)] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let step: DateComponents = monthly ? DateComponents(month: 1) : DateComponents(day: 7)
        let back: DateComponents = monthly ? DateComponents(month: -1) : DateComponents(day: -7)
        var periods: [(start: Date, end: Date)] = []
        if let start {
            var from = calendar.startOfDay(for: start)
            for _ in 0..<length {
                let to = calendar.date(byAdding: step, to: from)!
                periods.append((from, to))
                from = to
            }
            return periods.reversed()
        }
        var to = monthly
            ? calendar.date(byAdding: DateComponents(month: 1), to: calendar.dateInterval(of: .month, for: now)!.start)!
            : calendar.date(byAdding: DateComponents(day: 1), to: calendar.startOfDay(for: now))!
        for _ in 0..<length {
            let from = calendar.date(byAdding: back, to: to)!
            periods.append((from, to))
            to = from
        }
        return periods
    }

    static func day(_ date: Date) -> String { String(ClientDate.format(date).prefix(10)) }

    static func row(_ login: Stored<SupportLogin>) -> JSONValue {
        .object([
            ("time", .string(ClientDate.format(login.occurredAt))),
            ("userId", login.userID.map { .number(String($0)) } ?? .null),
            ("userName", login.userName.map(JSONValue.string) ?? .null),
            ("siteId", login.grantID.map { .number(String($0.rawValue)) } ?? .null),
            ("secretId", .string(login.secretID)),
            ("siteUrl", .string(login.siteURL)),
            ("teamId", .number(String(login.teamID.rawValue))),
            ("eventType", .string(login.event)),
        ])
    }

    // MARK: GET logs/login-attempts/{teamId}

    /// One page of reported failed logins, newest first, in Laravel's paginator shape (the flat
    /// keys, and `links` and `meta` as a resource collection has them: Connector 2.x reads `meta`).
    func attempts(_ team: Stored<Team>, path: String, query: FormFields) throws -> Response {
        let perPage = min(200, max(1, Int(query["per_page"] ?? "") ?? 50))
        // Bounded so that (page - 1) * perPage cannot overflow: past the last page is just empty.
        let page = min(1_000_000, max(1, Int(query["page"] ?? "") ?? 1))
        let (total, rows) = try storage.read { tx in
            (try tx.teamLogs.loginAttemptCount(team: team.id),
             try tx.teamLogs.loginAttempts(team: team.id, limit: perPage, offset: (page - 1) * perPage))
        }
        let lastPage = max(1, (total + perPage - 1) / perPage)
        let from: JSONValue = rows.isEmpty ? .null : .number(String((page - 1) * perPage + 1))
        let to: JSONValue = rows.isEmpty ? .null : .number(String((page - 1) * perPage + rows.count))
        func link(_ target: Int) -> JSONValue { .string("\(path)?page=\(target)&per_page=\(perPage)") }
        let meta: [(key: String, value: JSONValue)] = [
            ("current_page", .number(String(page))), ("from", from), ("last_page", .number(String(lastPage))),
            ("path", .string(path)), ("per_page", .number(String(perPage))), ("to", to),
            ("total", .number(String(total))),
        ]
        let links: JSONValue = .object([
            ("first", link(1)), ("last", link(lastPage)), ("prev", page > 1 ? link(page - 1) : .null),
            ("next", page < lastPage ? link(page + 1) : .null),
        ])
        return Response.json(.object([("data", .array(rows.map(Self.attempt))), ("links", links), ("meta", .object(meta))] + meta))
    }

    // MARK: GET logs/login-attempts/{teamId}/{attemptId}

    /// One attempt, unwrapped (`id` at the top); another team's is not found.
    func attempt(_ team: Stored<Team>, id: String) throws -> Response {
        guard let attempt = try storage.read({ tx in try tx.teamLogs.loginAttempt(id: id, team: team.id) }) else {
            throw HTTPError.notFound("Attempt not found.")
        }
        return Response.json(Self.attempt(attempt))
    }

    static func attempt(_ attempt: LoginAttempt) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            ("id", .string(attempt.id)),
            ("team_id", .number(String(attempt.teamID.rawValue))),
            ("secret_id", .string(attempt.secretID)),
            ("code", .string(attempt.code)),
            ("detailed_reason", .string(attempt.detailedReason)),
            ("identifier_hash", text(attempt.identifierHash)),
            ("client_site_url", .string(attempt.clientSiteURL)),
            ("client_user_agent", text(attempt.clientUserAgent)),
            ("client_ip", text(attempt.clientIP)),
            ("attempted_at", .string(ClientDate.format(attempt.attemptedAt))),
            ("created_at", .string(ClientDate.format(attempt.receivedAt))),
        ])
    }
}
