import Foundation
import FuzzChecks

#if FUZZING
/// Built by `make fuzz` (scripts/fuzz) with `-sanitize=fuzzer,address -D FUZZING`: hands the
/// command line to libFuzzer's driver, which calls `fuzzOneInput` for every input it makes. The
/// target comes from VESTIBULE_FUZZ_TARGET. (libFuzzer's own `main` cannot be used: SwiftPM
/// links an executable's entry point under the module's name.)
@main
struct Fuzz {
    static func main() {
        _ = target
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The target this run checks; a wrong name stops the run before the first input.
let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["VESTIBULE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("VESTIBULE_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

/// One input: a finding stops the run (libFuzzer keeps the input as `crash-…`).
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try target.check(bytes)
    } catch {
        fatalError("\(target.rawValue): \(error)")
    }
    return 0
}
#else
/// Without the fuzzer: replays files through a target's checks (`vestibule-fuzz json crash-1234`),
/// to see a finding again in a plain debug build.
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            print("usage: vestibule-fuzz TARGET FILE...   (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            exit(2)
        }
        var failed = false
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot be read")
                failed = true
                continue
            }
            do {
                try target.check(Array(data))
                print("\(path): holds")
            } catch {
                print("\(path): \(error)")
                failed = true
            }
        }
        exit(failed ? 1 : 0)
    }
}
#endif
