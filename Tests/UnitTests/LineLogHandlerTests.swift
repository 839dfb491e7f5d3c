import Foundation
import Logging
import Testing
@testable import VestibuleApp

@Suite struct LineLogHandlerTests {
    @Test func writesOneUTCLineWithSortedMetadata() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var logger = Logger(label: "test") { LineLogHandler(label: $0, level: .info, fileDescriptor: fds[1]) }
        logger[metadataKey: "request_id"] = "abc"
        logger.info("GET /login 200", metadata: ["ms": "1.250", "remote": "10.0.0.1"])
        logger.debug("not shown at info")
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasSuffix(" info GET /login 200 ms=1.250 remote=10.0.0.1 request_id=abc [UnitTests]\n"))
        #expect(text.split(separator: "\n").count == 1)
        let timestamp = String(text.prefix(24))
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
    }
}
