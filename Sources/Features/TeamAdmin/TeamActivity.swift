import Foundation
import Storage
import Support

/// What the sites and logs pages show, read in one transaction each, after the policy.
extension TeamAdminService {
    public struct SiteRow: Sendable {
        public let grant: Stored<Grant>
        public let lastSupportLogin: Date?
    }

    /// The team's live grants (50 a page), with each one's last support login.
    public func sites(_ principal: Principal, _ id: TeamID, search: String?, page: Int) throws -> (rows: [SiteRow], more: Bool) {
        let now = clock.now()
        return try storage.read { tx in
            _ = try TeamPolicy.authorize(tx, principal, .view, team: id)
            let grants = try tx.grants.liveGrants(team: id, search: search, now: now, limit: 51, offset: max(0, page - 1) * 50)
            let last = try tx.teamLogs.lastSupportLogins(team: id)
            return (grants.prefix(50).map { SiteRow(grant: $0, lastSupportLogin: last[$0.secretID]) }, grants.count > 50)
        }
    }

    /// Revokes a customer site's grant (admins): support logins to it stop at once.
    public func revokeGrant(_ principal: Principal, _ id: TeamID, secretID: String) throws -> Bool {
        let now = clock.now()
        return try storage.write { tx in
            _ = try TeamPolicy.authorize(tx, principal, .revokeGrants, team: id)
            guard try tx.grants.delete(team: id, secretID: secretID) else { return false }
            try tx.teamLogs.record(TeamEvent(teamID: id, event: "grant-revoked", detail: "secret \(secretID.prefix(8))…, \(principal.actor)", at: now))
            return true
        }
    }

    public struct Activity: Sendable {
        public let supportLogins: [Stored<SupportLogin>]
        public let attempts: [LoginAttempt]
        public let attemptTotal: Int
        public let events: [Stored<TeamEvent>]
        /// The last 30 days, oldest first: the day, support logins, failed attempts.
        public let days: [(day: String, logins: Int, failures: Int)]
    }

    public static let attemptsPerPage = 25

    /// The logs page: support logins and team events of the last 30 days, a page of failed
    /// attempts (optionally of one site), and the daily counts for the chart.
    public func activity(_ principal: Principal, _ id: TeamID, site: String?, page: Int) throws -> Activity {
        let now = clock.now()
        let since = Self.dayStart(now) - 29 * 86400
        return try storage.read { tx in
            _ = try TeamPolicy.authorize(tx, principal, .view, team: id)
            let logins = try tx.teamLogs.supportLogins(team: id, since: since, before: now + 1, site: site, vendorUser: nil)
            let attempts = try tx.teamLogs.loginAttempts(
                team: id, secretID: site, limit: Self.attemptsPerPage, offset: max(0, page - 1) * Self.attemptsPerPage)
            let attemptTimes = try tx.teamLogs.loginAttemptTimes(team: id, since: since)
            var days: [(String, Int, Int)] = []
            for index in 0..<30 {
                let start = since + Double(index) * 86400
                days.append((
                    String(UTCDate.iso8601(start).prefix(10)),
                    logins.filter { $0.occurredAt >= start && $0.occurredAt < start + 86400 }.count,
                    attemptTimes.filter { $0 >= start && $0 < start + 86400 }.count))
            }
            return Activity(
                supportLogins: Array(logins.prefix(100)), attempts: attempts.page, attemptTotal: attempts.total,
                events: Array(try tx.teamLogs.events(team: id).prefix(100)), days: days)
        }
    }

    static func dayStart(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86400).rounded(.down) * 86400)
    }
}

/// Support logins and failed attempts per day as a small bar chart, drawn on the server as SVG
/// (no script): a spike of failures shows at a glance. Only numbers and dates go in.
enum DailyChart {
    static func svg(_ days: [(day: String, logins: Int, failures: Int)]) -> String {
        let width = 600, height = 140, top = 10, bottom = 20
        let peak = max(1, days.map { max($0.logins, $0.failures) }.max() ?? 1)
        let slot = Double(width) / Double(max(1, days.count))
        let bar = max(1.0, slot / 2 - 1)
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(width) \(height)" class="chart" role="img" \
            aria-label="Support logins and failed login attempts per day, the last \(days.count) days">
            <line x1="0" y1="\(height - bottom)" x2="\(width)" y2="\(height - bottom)" stroke="#c9d1e3"/>
            """
        for (index, day) in days.enumerated() {
            let x = Double(index) * slot
            for (offset, value, colour, what) in [(0.0, day.logins, "#3b5bdb", "support logins"), (bar + 1, day.failures, "#e03131", "failed attempts")] {
                let h = Double(height - top - bottom) * Double(value) / Double(peak)
                out += "<rect x=\"\(one(x + offset))\" y=\"\(one(Double(height - bottom) - h))\" width=\"\(one(bar))\" "
                    + "height=\"\(one(h))\" fill=\"\(colour)\"><title>\(day.day): \(value) \(what)</title></rect>"
            }
            if index % 7 == 0 {
                out += "<text x=\"\(one(x))\" y=\"\(height - 5)\" font-size=\"10\" fill=\"#5c6b8a\">\(day.day.dropFirst(5))</text>"
            }
        }
        return out + "</svg>"
    }

    /// One decimal, as SVG coordinates need no more.
    static func one(_ value: Double) -> String { String(format: "%.1f", value) }
}
