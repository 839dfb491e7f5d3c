import Foundation
import Synchronization
import TestSupport

/// One running program (`vestibule serve`, or a launcher such as spawn-fcgi), its output in a log
/// file that every start appends to.
final class ProgramProcess: @unchecked Sendable {
    let logPath: String
    private(set) var process: Process?
    private var logHandle: FileHandle?

    init(logPath: String) {
        self.logPath = logPath
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process?.isRunning == true }

    /// Starts it and waits for this start's "listening" line (an earlier run's line does not count).
    func start(executable: String, arguments: [String], environment: [String: String], directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let logStart = Int(log.seekToEndOfFile())
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        try? logHandle?.close()
        logHandle = log
        try waitUntilListening(process, logStart: logStart)
    }

    private func waitUntilListening(_ process: Process, logStart: Int) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning { throw TestFailure("the program exited at start:\n\(log)") }
            if String(log.utf8.dropFirst(logStart))?.contains("listening") == true { return }
            usleep(20_000)
        }
        throw TestFailure("the program did not listen within 30 s:\n\(log)")
    }

    /// Sends `signal` and waits up to `timeout` for the exit; its status (minus the signal number
    /// when a signal ended it).
    @discardableResult
    func signal(_ signal: Int32, timeout: TimeInterval = 15) throws -> Int32 {
        guard let process else { throw TestFailure("no program running") }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { throw TestFailure("the program did not exit within \(timeout) s") }
        self.process = nil
        return process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    }

    func stop() {
        if process != nil { _ = try? signal(SIGTERM) }
        try? logHandle?.close()
        logHandle = nil
    }
}

/// What a command printed: its standard output (what tools read), and its standard error (logs
/// and error messages).
struct CommandResult {
    let status: Int32
    let output: String
    let errors: String
}

/// Runs `vestibule` with arguments and an environment to its end.
func runVestibule(_ arguments: [String], environment: [String: String]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Stack.binary)
    process.arguments = arguments
    process.environment = environment
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read both at once: a full stderr pipe would stop the program while we wait on stdout.
    let errorData = Mutex(Data())
    let reader = Thread { errorData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() } }
    reader.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while errorData.withLock({ $0.isEmpty }) && !reader.isFinished { usleep(1000) }
    return CommandResult(
        status: process.terminationStatus, output: String(decoding: data, as: UTF8.self),
        errors: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
}
