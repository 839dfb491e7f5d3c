import FastCGI
import Features
import Foundation
import HTTPTypes
import Logging
import Storage
import StoragePostgres
import StorageSQL
import StorageSQLite
import Support
import TestSupport
@testable import Web

let repositoryRoot = TestPaths.repositoryRoot

/// Real storage for a test: a fresh SQLite file in `directory`, or a fresh database on the test
/// run's PostgreSQL server; migrated.
enum TestStorage {
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static func open(_ backend: Backend, in directory: TemporaryDirectory, connections: Int = 8) throws -> any SQLStorage {
        let location = try backend.makeDatabase(in: directory.path)
        let storage: any SQLStorage
        switch backend {
        case .sqlite: storage = try SQLiteStorage(path: location, readers: connections, logger: quiet)
        case .postgres: storage = PostgresStorage(location: PostgresLocation(url: location)!, connections: connections, logger: quiet)
        }
        _ = try storage.migrate()
        return storage
    }
}

extension SQLStorage {
    /// The first column of the first row of a query, for tests that look at the tables themselves.
    func scalar<T: SQLReadable>(_ sql: String, _ arguments: [SQLValue] = [], as type: T.Type = T.self) throws -> T? {
        try readSQL { db in
            guard var row = try db.query(sql, arguments).first else { return nil }
            return try row.next(T.self)
        }
    }

    func count(_ table: String) throws -> Int {
        try scalar("SELECT count(*) FROM \(table)") ?? 0
    }
}

/// The real web application, in process, on fresh storage and the repository's templates.
final class TestApp: @unchecked Sendable {
    let directory = TemporaryDirectory()
    let storage: any SQLStorage
    let clock: AdjustableClock
    let application: WebApplication
    let environment: WebEnvironment

    /// `wiring` makes features that need the app's storage (it runs once the storage is open).
    init(
        backend: Backend = .sqlite, features: [any Feature] = [],
        clock: AdjustableClock = AdjustableClock(fixedAt: Date(timeIntervalSince1970: 1_800_000_000)),
        session: SessionSettings = SessionSettings(),
        wiring: (any SQLStorage, AdjustableClock) -> [any Feature] = { _, _ in [] }
    ) async throws {
        self.clock = clock
        storage = try TestStorage.open(backend, in: directory)
        let renderer = try await PageRenderer(directory: repositoryRoot + "/templates")
        let sessions = SessionManager(
            settings: session, secretKey: SecretKey(bytes: Array(repeating: 7, count: 32)), clock: clock,
            random: SystemRandom())
        environment = WebEnvironment(storage: storage, clock: clock, random: SystemRandom(), sessions: sessions, renderer: renderer)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        application = WebApplication(
            features: features + wiring(storage, clock) + [AccountFeature(accounts: AccountService(storage: storage, clock: clock), methodNames: LoginMethodNames([])), HomeFeature(loginMethods: [], version: "test", healthCheckInterval: .zero)],
            environment: environment, strictTransportSecurity: false, publicOrigin: "http://127.0.0.1", logger: logger)
    }

    deinit {
        storage.close()
        directory.remove()
    }

    /// Sends one request; `cookie` is the session cookie value to send, `anonymous` the anonymous
    /// CSRF cookie's, if any.
    func send(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: [UInt8] = [],
        cookie: String? = nil, anonymous: String? = nil
    ) -> TestResponse {
        var fields = headers
        let cookies = [cookie.map { "vestibule_session=\($0)" }, anonymous.map { "vestibule_csrf=\($0)" }].compactMap { $0 }
        if !cookies.isEmpty { fields[.cookie] = cookies.joined(separator: "; ") }
        if !body.isEmpty { fields[.contentLength] = String(body.count) }
        let head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path, headerFields: fields)
        // Framed as the FastCGI worker frames every answer before writing it.
        let response = ResponseEncoding.framed(
            application.respond(to: FastCGIRequest(head: head, body: .bytes(body), remoteAddress: "127.0.0.1")), method: method)
        return TestResponse(head: response.head, body: response.body)
    }

    func send(_ method: HTTPRequest.Method, _ path: String, form: String, cookie: String? = nil, anonymous: String? = nil) -> TestResponse {
        send(method, path, headers: [.contentType: "application/x-www-form-urlencoded"], body: Array(form.utf8), cookie: cookie, anonymous: anonymous)
    }

    /// A session made as a sign-in makes it: anonymous, or for a new user; its cookie value.
    func issueSession(signedIn: Bool = false) throws -> (cookie: String, session: Stored<Session>) {
        let sessions = environment.sessions, now = clock.now()
        let issued = try storage.write { tx in
            let user = signedIn ? try tx.accounts.createUser(displayName: "Ada", at: now).id : nil
            return try sessions.issue(tx, userID: user, replacing: nil, ipAddress: "127.0.0.1", userAgent: "test")
        }
        return (issued.token, issued.record)
    }
}

struct TestResponse {
    let head: HTTPResponse
    let body: [UInt8]

    var status: Int { head.status.code }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { head.headerFields[HTTPField.Name(name)!] }

    /// The value the response sets for the session cookie, if it sets one.
    var sessionCookie: String? { setCookie("vestibule_session") }

    /// The value the response sets for the anonymous CSRF cookie, if it sets one.
    var anonymousCookie: String? { setCookie("vestibule_csrf") }

    func setCookie(_ name: String) -> String? {
        for value in head.headerFields[values: .setCookie] where value.hasPrefix(name + "=") {
            return String(value.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    var csrfToken: String? {
        guard let range = text.range(of: "<meta name=\"csrf-token\" content=\"") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }

    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
    }
}
