import Foundation
import Logging

/// Log lines to standard error (the journal under systemd):
/// `2026-11-21T14:00:00.123Z info GET /api/status 200 ms=0.42 remote=127.0.0.1 request_id=… [Web]`.
///
/// Timestamps are UTC (no time-zone lookup per line, unlike swift-log's StreamLogHandler, which
/// makes glibc stat /etc/localtime for every line). Each line is one `write(2)`, so lines from
/// many threads never interleave and need no lock.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let fileDescriptor: Int32

    public init(label: String, level: Logger.Level, fileDescriptor: Int32 = STDERR_FILENO) {
        self.label = label
        logLevel = level
        self.fileDescriptor = fileDescriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        Self.appendTimestamp(to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes += event.level.rawValue.utf8
        bytes.append(UInt8(ascii: " "))
        bytes += event.message.description.utf8
        let merged = event.metadata.map { $0.isEmpty ? metadata : metadata.merging($0) { _, new in new } } ?? metadata
        for key in merged.count > 1 ? merged.keys.sorted() : Array(merged.keys) {
            bytes.append(UInt8(ascii: " "))
            bytes += key.utf8
            bytes.append(UInt8(ascii: "="))
            switch merged[key]! {
            case .string(let text): bytes += text.utf8
            case let other: bytes += other.description.utf8
            }
        }
        if let error = event.error { bytes += " error=\(error)".utf8 }
        bytes += " [".utf8
        bytes += event.source.utf8
        bytes += "]\n".utf8
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ`, digit by digit.
    static func appendTimestamp(to bytes: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) {
            var divisor: Int32 = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        digits(parts.tm_year + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2)
        bytes.append(UInt8(ascii: "."))
        digits(Int32(now.tv_nsec / 1_000_000), 3)
        bytes.append(UInt8(ascii: "Z"))
    }
}
