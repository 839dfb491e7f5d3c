import ArgumentParser
import Crypto
import Foundation
import Outbound
import Support
import Synchronization

/// The soak (scripts/soak): writers register grants through nginx while the program is killed
/// with SIGKILL at random moments and restarted at once (as systemd's `Restart=always` would);
/// then every write that was answered 201 is read back through the vendor API. Prints a summary
/// line per kill and a JSON result; exits 1 when a write was lost or an answer was unexpected.
struct Soak: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "soak")

    @Option(help: "nginx's port on 127.0.0.1.") var port: Int
    @Option(help: "The program to run (`vestibule`); it gets this process's environment.") var binary: String
    @Option(help: "The team `vestibule team create --json` printed, as a file.") var team: String
    @Option(help: "How many times to kill the program.") var kills = 10
    @Option(help: "Writers sending at once.") var writers = 4
    @Option(help: "Longest wait between the program answering and its kill, in seconds.") var maxUptime = 1.5
    @Option(help: "Where the program's output goes.") var log: String

    func run() throws {
        let team = try SoakTeam(file: team)
        let api = SoakAPI(port: port, team: team)
        let program = SupervisedProgram(binary: binary, log: log)
        try program.start()
        try api.waitUntilUp()
        let tally = SoakTally()
        let stop = Atomic<Bool>(false)
        let writerThreads = (0..<writers).map { _ in
            Thread { while !stop.load(ordering: .relaxed) { tally.record(api.registerGrant()) } }
        }
        writerThreads.forEach { $0.start() }
        var random = SystemRandomNumberGenerator()
        for kill in 1...kills {
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...maxUptime, using: &random))
            try program.killAndRestart()
            print("soak: kill \(kill) of \(kills): \(tally.acknowledged.count) writes acknowledged so far")
            try api.waitUntilUp()
        }
        // Some writes after the last restart too, then the writers stop and everything is read back.
        Thread.sleep(forTimeInterval: 0.5)
        stop.store(true, ordering: .relaxed)
        while writerThreads.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.05) }
        let lost = try api.missing(tally.acknowledged)
        // The read-back must be able to see a loss: a grant never sent is reported missing.
        let neverSent = SoakGrant(secretID: Hex.encode(SystemRandom().bytes(16)), accessKey: Hex.encode(SystemRandom().bytes(32)))
        let controlSeen = try api.missing([neverSent]).count == 1
        program.stop()
        guard controlSeen else { throw ValidationError("the read-back found a grant that was never sent: it cannot see a loss") }
        let result = SoakResult(kills: kills, acknowledged: tally.acknowledged.count, lost: lost.count, statuses: tally.statuses)
        print(result.summary)
        FileHandle.standardError.write(Data((result.json + "\n").utf8))
        for grant in lost.prefix(10) { print("soak: LOST secret \(grant.secretID) (access key \(grant.accessKey))") }
        if !result.passed { throw ExitCode.failure }
    }
}

/// One grant a writer sent: its secret id and the access key it is found by.
struct SoakGrant: Sendable {
    let secretID: String
    let accessKey: String
}

struct SoakTeam {
    let id: Int64
    let publicKey: String
    let privateKey: String

    init(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let id = (json["id"] as? NSNumber)?.int64Value, let publicKey = json["publicKey"] as? String,
            let privateKey = json["privateKey"] as? String
        else { throw ValidationError("\(file) is not what `vestibule team create --json` prints") }
        self.id = id
        self.publicKey = publicKey
        self.privateKey = privateKey
    }
}

/// The requests, always to nginx on 127.0.0.1.
struct SoakAPI: Sendable {
    let base: String
    let team: SoakTeam
    let http = CurlHTTPClient(policy: AddressPolicy(allowPrivateNetworks: true), userAgent: "vestibule-soak")

    init(port: Int, team: SoakTeam) {
        base = "http://127.0.0.1:\(port)"
        self.team = team
    }

    /// POST sites as the client SDK sends it: the grant and its status (nil: no answer at all).
    func registerGrant() -> (grant: SoakGrant, status: Int?) {
        let grant = SoakGrant(secretID: Hex.encode(SystemRandom().bytes(16)), accessKey: Hex.encode(SystemRandom().bytes(32)))
        let body: [String: Any] = [
            "secretId": grant.secretID, "identifier": Data(SystemRandom().bytes(48)).base64EncodedString(),
            "siteUrl": "https://customer.example/wp", "publicKey": team.publicKey, "accessKey": grant.accessKey,
            "wpUserId": 1, "expiresAt": Int(Date().timeIntervalSince1970) + 86_400, "version": "1.10.1",
            "nonce": Hex.encode(SystemRandom().bytes(24)), "clientPublicKey": Hex.encode(SystemRandom().bytes(32)),
            "metaData": [String](),
        ]
        let response = try? post("/api/v1/sites", body, headers: [("Authorization", "Bearer \(team.publicKey)")])
        return (grant, response?.status)
    }

    /// The acknowledged grants the vendor API does not find, asked 100 access keys at a time.
    func missing(_ grants: [SoakGrant]) throws -> [SoakGrant] {
        var missing: [SoakGrant] = []
        let bearer = Hex.encode(SHA256.hash(data: Array(team.privateKey.utf8)))
        let token = Hex.encode(SHA256.hash(data: Array((team.publicKey + team.privateKey).utf8)))
        for start in stride(from: 0, to: grants.count, by: 100) {
            let batch = Array(grants[start..<min(start + 100, grants.count)])
            let response = try post(
                "/api/v1/accounts/\(team.id)/sites", ["searchKeys": batch.map(\.accessKey)],
                headers: [("Authorization", "Bearer \(bearer)"), ("X-TL-TOKEN", token)])
            guard response.status == 200 || response.status == 204 else {
                throw ValidationError("reading back answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
            }
            let found = response.body.isEmpty ? [:] : (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String]] ?? [:])
            missing += batch.filter { found[$0.accessKey]?.contains($0.secretID) != true }
        }
        return missing
    }

    /// Waits for `/api/status` to answer 200 through nginx (at most 30 s).
    func waitUntilUp() throws {
        for _ in 0..<600 {
            if (try? http.fetch(OutboundRequest(url: base + "/api/status", timeout: .seconds(2), maxResponseBytes: 65_536)))?.status == 200 {
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ValidationError("\(base)/api/status did not answer 200 within 30 s")
    }

    private func post(_ path: String, _ body: Any, headers: [(String, String)]) throws -> OutboundResponse {
        let bytes = Array(try JSONSerialization.data(withJSONObject: body))
        let all = [("Content-Type", "application/json"), ("Accept", "application/json")] + headers
        return try http.fetch(
            OutboundRequest(url: base + path, method: "POST", headers: all.map { (name: $0.0, value: $0.1) }, body: bytes,
                            timeout: .seconds(10), maxResponseBytes: 1 << 20))
    }
}

/// What the writers saw.
final class SoakTally: Sendable {
    private let state = Mutex<(acknowledged: [SoakGrant], statuses: [String: Int])>(([], [:]))

    func record(_ outcome: (grant: SoakGrant, status: Int?)) {
        state.withLock { state in
            if outcome.status == 201 { state.acknowledged.append(outcome.grant) }
            state.statuses[outcome.status.map(String.init) ?? "no answer", default: 0] += 1
        }
    }

    var acknowledged: [SoakGrant] { state.withLock { $0.acknowledged } }
    var statuses: [String: Int] { state.withLock { $0.statuses } }
}

struct SoakResult {
    let kills: Int
    let acknowledged: Int
    let lost: Int
    let statuses: [String: Int]

    /// While the program is down nginx answers 502 (or 504), and a write cut off has no answer:
    /// those were never acknowledged. Anything else (a 500, a 4xx) is a defect.
    var unexpected: [String: Int] { statuses.filter { !["201", "502", "504", "no answer"].contains($0.key) } }
    var passed: Bool { lost == 0 && unexpected.isEmpty && acknowledged > 0 }

    var summary: String {
        let answers = statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        return "soak: \(kills) kills, \(acknowledged) writes acknowledged, \(lost) lost; answers \(answers)"
            + (unexpected.isEmpty ? "" : "; UNEXPECTED \(unexpected)")
    }

    var json: String {
        let object: [String: Any] = ["kills": kills, "acknowledged": acknowledged, "lost": lost, "statuses": statuses]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: .sortedKeys)) ?? Data(), as: UTF8.self)
    }
}

/// `vestibule serve`, restarted as soon as it is killed.
final class SupervisedProgram {
    let binary: String
    let log: FileHandle
    private var process: Process?

    init(binary: String, log path: String) {
        self.binary = binary
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        log = FileHandle(forWritingAtPath: path)!
        log.seekToEndOfFile()
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve"]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
    }

    func killAndRestart() throws {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try start()
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
