import Foundation
import FuzzChecks
import SLIP0013
import Support
import TestSupport
import Testing

/// The fuzz corpus, replayed through the fuzz checks on every `make test`: a finding copied into
/// Tests/Fuzz/corpus/ stays fixed. (The fuzzing itself is `scripts/fuzz`.)
@Suite struct FuzzCorpusTests {
    static let corpus = TestPaths.repositoryRoot + "/Tests/Fuzz/corpus"

    static func inputs(_ target: FuzzTarget) -> [String] {
        let folder = corpus + "/" + target.rawValue
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().map { folder + "/" + $0 }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyInputOfTheCorpusHolds(target: FuzzTarget) throws {
        let paths = Self.inputs(target)
        #expect(paths.count >= 3, "Tests/Fuzz/corpus/\(target.rawValue) needs seeds")
        for path in paths {
            let data = try #require(FileManager.default.contents(atPath: path))
            #expect(throws: Never.self, "\(path)") { try target.check(Array(data)) }
        }
    }

    /// The seeds reach past the first refusal: the device's own answer is one the verifier accepts,
    /// so the fuzzer mutates around a valid signature (and the check's acceptance branch runs).
    @Test func theTrezorSeedIsAValidAnswer() throws {
        let data = try #require(FileManager.default.contents(atPath: Self.corpus + "/slip0013/device-vector"))
        let bytes = Array(data)
        try SignedIdentity.verify(
            challengeHidden: Array(bytes[0..<32]), challengeVisual: String(decoding: bytes[130...], as: UTF8.self),
            publicKey: Array(bytes[32..<65]), signature: Array(bytes[65..<130]))
    }
}

/// What writing the fuzz targets found, kept as plain tests.
@Suite struct FuzzFindingTests {
    /// Swift compares strings by canonical equivalence; PHP by bytes. `"\u00e9"` and `"e\u0301"`
    /// are two keys to a client site, and were merged into one here.
    @Test func keysThatAreCanonicallyEquivalentStayApart() throws {
        let value = try JSONValue.parse(Array(#"{"\u00e9":1,"e\u0301":2}"#.utf8))
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.count == 2)
        #expect(String(decoding: PHPJSON.encode(value), as: UTF8.self) == "{\"é\":1,\"e\u{301}\":2}")
        #expect(value["e\u{301}"] == .number("2"))
        #expect(JSONValue.string("\u{e9}") != JSONValue.string("e\u{301}"))
    }

    /// Asking whether an infinite or far-out date is in 2000-9999 converted it to `time_t`, which traps.
    @Test(arguments: [Double.infinity, -.infinity, .nan, 1e300, -1e300])
    func anyDateCanBeAskedAbout(seconds: Double) {
        #expect(!UTCDate.isInValidYears(Date(timeIntervalSince1970: seconds)))
    }

    @Test func theValidYearsAreExactly2000To9999() {
        #expect(UTCDate.isInValidYears(Date(timeIntervalSince1970: 946_684_800)))
        #expect(!UTCDate.isInValidYears(Date(timeIntervalSince1970: 946_684_799.5)))
        #expect(UTCDate.isInValidYears(Date(timeIntervalSince1970: 253_402_300_799.9)))
        #expect(!UTCDate.isInValidYears(Date(timeIntervalSince1970: 253_402_300_800)))
    }
}
