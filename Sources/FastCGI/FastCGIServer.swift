import CFastCGI
import Dispatch
import Foundation
import HTTPTypes
import Logging
import Synchronization

/// A FastCGI responder server on libfcgi: N worker threads, each owning one `FCGX_Request`.
///
/// Each worker waits for a connection, serves the one request on it, and waits again. Workers
/// accept connections themselves and hand them to libfcgi (`FCGX_Accept_r` reads a connection
/// that is already open), so `stop()` needs no signals and never shuts down a socket that
/// systemd may share with the next start.
public final class FastCGIServer: Sendable {
    public struct Configuration: Sendable {
        public var address: ListenAddress
        public var threads: Int
        public var maxBodySize: Int
        /// Over TCP, the web servers allowed to connect (`FCGI_WEB_SERVER_ADDRS`); nil: any.
        public var allowedPeers: Set<String>?
        /// How long an accepted connection may stay silent (before its first record, and between
        /// reads): a peer that sends nothing must not hold a worker.
        public var readTimeout: Duration
        /// How long reading one whole request (its records and body) may take, however slowly it
        /// trickles in.
        public var requestTimeout: Duration

        public init(
            address: ListenAddress, threads: Int = 16, maxBodySize: Int = 1 << 20, allowedPeers: Set<String>? = nil,
            readTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(30)
        ) {
            self.address = address
            self.threads = threads
            self.maxBodySize = maxBodySize
            self.allowedPeers = allowedPeers
            self.readTimeout = readTimeout
            self.requestTimeout = requestTimeout
        }
    }

    private let configuration: Configuration
    private let responder: any FastCGIResponder
    private let logger: Logger
    private let state = Mutex<State>(State())
    private let finished = DispatchGroup()
    fileprivate let deadlines: ReadDeadlines

    private struct State: Sendable {
        var listener: ListeningSocket?
        var acceptor: Acceptor?
    }

    public init(configuration: Configuration, responder: some FastCGIResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        deadlines = ReadDeadlines(limit: configuration.requestTimeout, workers: configuration.threads)
    }

    /// Opens the socket and starts the workers; returns at once.
    public func start() throws {
        signal(SIGPIPE, SIG_IGN)
        guard FCGX_Init() == 0 else {
            throw SocketError(operation: "FCGX_Init", path: "", code: errno)
        }
        let listener = try ListeningSocket(configuration.address)
        let acceptor = Acceptor(listener: listener, peers: PeerFilter(allowed: configuration.allowedPeers))
        state.withLock {
            $0.listener = listener
            $0.acceptor = acceptor
        }
        deadlines.start()
        for index in 0..<max(1, configuration.threads) {
            finished.enter()
            let worker = Thread { [self] in
                Worker(server: self, acceptor: acceptor, deadline: deadlines.slot(index)).run()
                finished.leave()
            }
            worker.name = "fastcgi-\(index)"
            worker.start()
        }
        logger.info(
            "listening",
            metadata: ["address": "\(configuration.address)", "threads": "\(configuration.threads)"])
    }

    /// Stops accepting. Requests already accepted run to the end.
    public func stop() {
        state.withLock { $0.acceptor }?.stop()
        deadlines.stop()
    }

    /// Waits for the workers to finish their requests, up to `timeout`; then closes the socket.
    /// - Returns: true when every worker finished in time.
    @discardableResult
    public func waitUntilStopped(timeout: Duration) -> Bool {
        let seconds = timeout / .seconds(1)
        let done = finished.wait(timeout: .now() + seconds) == .success
        state.withLock { $0.listener }?.close()
        return done
    }

    fileprivate func respond(to request: FastCGIRequest) -> FastCGIResponse {
        responder.respond(to: request)
    }

    fileprivate var maxBodySize: Int { configuration.maxBodySize }
    fileprivate var readTimeout: Duration { configuration.readTimeout }
    fileprivate var log: Logger { logger }
}

/// The loop of one worker thread. Not shared: it lives and dies on its thread.
private struct Worker {
    let server: FastCGIServer
    let acceptor: Acceptor
    /// This worker's place in the read deadlines.
    let deadline: ReadDeadlines.Slot

    func run() {
        var request = FCGX_Request()
        // No listening socket: libfcgi must never accept by itself, only read what we hand it.
        FCGX_InitRequest(&request, -1, 0)
        while let connection = acceptor.next() {
            serve(connection: connection, request: &request)
        }
    }

    private func serve(connection: Int32, request: inout FCGX_Request) {
        Self.setTimeouts(connection, server.readTimeout)
        // Reading the request is bounded as a whole too: the watch cuts the connection short.
        server.deadlines.watch(connection, in: deadline)
        request.ipcFd = connection
        // Keeps the connection open through the bookkeeping FCGX_Accept_r does before reading.
        request.keepConnection = 1
        guard FCGX_Accept_r(&request) == 0 else {
            // A peer that sent no valid request (or nothing in time): libfcgi closed the connection.
            server.deadlines.release(deadline)
            return
        }
        defer {
            FCGX_Finish_r(&request)
            // One request per connection: a peer asking to keep it open would pin this thread.
            if request.ipcFd >= 0 { FCGX_Free(&request, 1) }
        }
        let params = CGIParameters(environment: request.envp)
        let response: FastCGIResponse
        var method: HTTPRequest.Method?
        do {
            let head = try ParameterDecoding.head(from: params)
            method = head.method
            let body = Self.readBody(from: request.in, declaredLength: params.contentLength, limit: server.maxBodySize)
            server.deadlines.release(deadline)
            let exchange = FastCGIRequest(
                head: head, body: body, remoteAddress: params.remoteAddress ?? "", requestID: params.requestID)
            response = server.respond(to: exchange)
        } catch {
            server.deadlines.release(deadline)
            server.log.warning("malformed FastCGI parameters", metadata: ["error": "\(error)"])
            response = FastCGIResponse(
                head: HTTPResponse(status: .badRequest, headerFields: [.contentType: "text/plain"]),
                body: Array("Bad Request\n".utf8))
        }
        Self.write(ResponseEncoding.framed(response, method: method), to: request.out)
    }

    /// Every read (and write) on the connection gives up after `timeout` of silence.
    static func setTimeouts(_ connection: Int32, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        _ = setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    static func readBody(
        from stream: UnsafeMutablePointer<FCGX_Stream>?, declaredLength: String?, limit: Int
    ) -> FastCGIRequest.Body {
        guard let stream, let declaredLength, let length = Int(declaredLength), length > 0 else {
            return .bytes([])
        }
        guard length <= limit else { return .tooLarge(declaredLength: length) }
        var body = [UInt8](repeating: 0, count: length)
        var received = 0
        while received < length {
            let count = body.withUnsafeMutableBytes { raw in
                FCGX_GetStr(
                    raw.baseAddress!.advanced(by: received).assumingMemoryBound(to: CChar.self),
                    Int32(length - received), stream)
            }
            if count <= 0 { return .incomplete }
            received += Int(count)
        }
        return .bytes(body)
    }

    /// Writes the response; a peer that went away only costs this response.
    static func write(_ response: FastCGIResponse, to stream: UnsafeMutablePointer<FCGX_Stream>?) {
        guard let stream else { return }
        for chunk in [ResponseEncoding.headBytes(response.head), response.body] where !chunk.isEmpty {
            let written = chunk.withUnsafeBytes { raw in
                FCGX_PutStr(raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count), stream)
            }
            if written < 0 { return }
        }
    }
}

/// Connections whose request is still being read, and when each must be read by: a thread looks
/// every quarter second and shuts down the ones past their time, so a read blocked on a peer
/// that trickles a byte at a time returns, and the worker is free. Each worker has a slot of its
/// own (one shared lock was taken twice per request by every worker: measured, 12% of the time
/// of a busy server went to waiting on it); registering and releasing happen under the slot's
/// lock, as does the shutdown, so a connection is never cut once its request has been read.
final class ReadDeadlines: Sendable {
    /// One worker's connection being read, if any.
    final class Slot: Sendable {
        let watched = Mutex<(connection: Int32, deadline: ContinuousClock.Instant)?>(nil)
    }

    private let limit: Duration
    private let slots: [Slot]
    private let running = Mutex(false)

    init(limit: Duration, workers: Int) {
        self.limit = limit
        slots = (0..<max(1, workers)).map { _ in Slot() }
    }

    func start() {
        let alreadyRunning = running.withLock { running in
            defer { running = true }
            return running
        }
        guard !alreadyRunning else { return }
        let watcher = Thread { [self] in
            while running.withLock({ $0 }) {
                usleep(250_000)
                cutExpired()
            }
        }
        watcher.name = "fastcgi-deadlines"
        watcher.start()
    }

    func stop() { running.withLock { $0 = false } }

    func slot(_ worker: Int) -> Slot { slots[worker % slots.count] }

    func watch(_ connection: Int32, in slot: Slot) {
        let deadline = ContinuousClock.now + limit
        slot.watched.withLock { $0 = (connection, deadline) }
    }

    func release(_ slot: Slot) {
        slot.watched.withLock { $0 = nil }
    }

    private func cutExpired() {
        let now = ContinuousClock.now
        for slot in slots {
            slot.watched.withLock { watched in
                guard let current = watched, current.deadline <= now else { return }
                _ = shutdown(current.connection, Int32(SHUT_RDWR))
                watched = nil
            }
        }
    }
}
