import Foundation

/// JSON request bodies: the media type checked, decoding errors turned into 400s naming the field.
public enum JSONBody {
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request) throws(HTTPError) -> T {
        if let mediaType = request.mediaType, !mediaType.isEmpty, mediaType != "application/json",
            !mediaType.hasSuffix("+json")
        {
            throw HTTPError(.unsupportedMediaType, "Send the body as JSON (Content-Type: application/json).")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(request.body))
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw .badRequest("The request body is not valid JSON.")
        }
    }

    static func describe(_ error: DecodingError) -> HTTPError {
        func name(_ path: [any CodingKey]) -> String? {
            let parts = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return parts.isEmpty ? nil : parts.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = name(context.codingPath + [key]) ?? key.stringValue
            return .badRequest("The field \(field) is required.", field: field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = name(context.codingPath) ?? "body"
            return .badRequest("The field \(field) has the wrong type.", field: field)
        case .dataCorrupted(let context):
            if let field = name(context.codingPath) {
                return .badRequest("The field \(field) is malformed.", field: field)
            }
            return .badRequest("The request body is not valid JSON.")
        @unknown default:
            return .badRequest("The request body is not valid JSON.")
        }
    }
}
