import Foundation

/// Helpers the unit and integration tests share. Not linked into the program.
public enum TestPaths {
    /// The repository root, found from this file's path.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

/// Why a test helper gave up: the message says what happened (and shows the output it got).
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh directory under the system's temporary folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "vestibule-test-") {
        path = NSTemporaryDirectory() + prefix + UUID().uuidString.prefix(8)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Tests/Fixtures/trustedlogin.php: the client SDK's and the Connector's cryptography in PHP itself.
public enum PHP {
    /// Runs a command of the fixture with a JSON object on stdin; returns its JSON object.
    public static func run(_ command: String, _ input: [String: Any] = [:]) throws -> [String: Any] {
        let output = try raw(command, input)
        guard let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw TestFailure("php \(command) printed \(output)")
        }
        return object
    }

    /// The command's standard output, as text.
    public static func raw(_ command: String, _ input: [String: Any]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/php")
        process.arguments = [TestPaths.repositoryRoot + "/Tests/Fixtures/trustedlogin.php", command]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: input))
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let error = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw TestFailure("php \(command) failed: \(error)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}
