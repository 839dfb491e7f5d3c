import Testing
@testable import Web

@Suite struct FormFieldsTests {
    @Test func decodesPairsInOrder() throws {
        let form = try FormFields(urlEncoded: "_csrf=a-b_c&name=J%C3%BCrgen+M&empty=&flag", limits: .form)
        #expect(form["_csrf"] == "a-b_c")
        #expect(form["name"] == "Jürgen M")
        #expect(form["empty"] == "")
        #expect(form["flag"] == "")
        #expect(form.pairs.map(\.name) == ["_csrf", "name", "empty", "flag"])
    }

    @Test func rejectsBrokenPercentEncoding() {
        #expect(throws: HTTPError.self) { try FormFields(urlEncoded: "a=%zz", limits: .form) }
        #expect(throws: HTTPError.self) { try FormFields(urlEncoded: "a=%C3", limits: .form) }
        #expect(throws: HTTPError.self) { try FormFields(urlEncoded: "a=%4", limits: .form) }
    }

    /// No field holds a NUL byte (PostgreSQL's text could not store it): 400, on every backend.
    @Test func rejectsNulBytes() {
        #expect(throws: HTTPError.self) { try FormFields(urlEncoded: "displayName=a%00b", limits: .form) }
        #expect(throws: HTTPError.self) { try FormFields(urlEncoded: "a%00=b", limits: .form) }
    }

    @Test func limitsTheNumberOfFields() {
        let many = (0...100).map { "f\($0)=1" }.joined(separator: "&")
        #expect(throws: HTTPError.self) { try FormFields(urlEncoded: many, limits: .query) }
        #expect((try? FormFields(urlEncoded: many, limits: .form)) != nil)
    }
}
