import ArgumentParser
import FastCGI
import Foundation
import HTTPTypes
import Logging

/// Vestibule's FastCGI layer alone, answering a fixed JSON body: the floor under every route.
struct FastCGIFloor: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fastcgi-floor")

    @Option var socket: String
    @Option var threads = 16

    struct Fixed: FastCGIResponder {
        let body = Array(#"{"database":"ok","status":"ok","version":"0.0.0"}"#.utf8)
        func respond(to request: FastCGIRequest) -> FastCGIResponse {
            FastCGIResponse(head: HTTPResponse(status: .ok, headerFields: [.contentType: "application/json"]), body: body)
        }
    }

    func run() throws {
        let server = FastCGIServer(
            configuration: .init(address: .unixSocket(path: socket, mode: 0o660), threads: threads),
            responder: Fixed(), logger: Logger(label: "floor"))
        try server.start()
        while true { sleep(60) }
    }
}
