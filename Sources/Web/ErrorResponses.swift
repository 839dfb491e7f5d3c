import Foundation
import HTTPTypes
import Logging
import Support

/// Turns whatever a handler threw into a response: an HTML page in the layout for browser pages,
/// JSON for everything else. Only `HTTPError` messages are shown; other errors are logged with the
/// request id, and the client gets a plain "something went wrong".
struct ErrorResponseMiddleware: Middleware {
    func handle(_ context: RequestContext, next: (RequestContext) throws -> Response) throws -> Response {
        do {
            return try next(context)
        } catch let error as HTTPError {
            return ErrorResponses.response(for: error, context: context)
        } catch let error as any HTTPResponseError {
            if let detail = error.logDetail {
                context.logger.error("request failed", metadata: ["error": "\(detail)"])
            }
            return ErrorResponses.response(for: error.httpError, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return ErrorResponses.response(for: ErrorResponses.internalError, context: context)
        }
    }
}

public enum ErrorResponses {
    static let internalError = HTTPError(
        .internalServerError, "Something went wrong on our side. It has been logged; please try again.")

    static func response(for error: HTTPError, context: RequestContext) -> Response {
        var response = context.kind.answersJSON ? json(error) : html(error, context: context)
        for field in error.headers { response.headers.append(field) }
        return response
    }

    static func json(_ error: HTTPError) -> Response {
        .json(error.jsonBody ?? body(error), status: error.status)
    }

    /// The API's error bodies: `{"error": true, "message": ...}`, or Laravel's 422 shape.
    static func body(_ error: HTTPError) -> JSONValue {
        if !error.fieldErrors.isEmpty {
            return .object([("message", .string(error.message)), ("errors", error.fieldErrorsJSON)])
        }
        var members: [(key: String, value: JSONValue)] = [("error", .bool(true)), ("message", .string(error.message))]
        if let field = error.field { members.append(("field", .string(field))) }
        return .object(members)
    }

    static func html(_ error: HTTPError, context: RequestContext) -> Response {
        let title = errorTitle(error.status)
        let values: [String: Any] = [
            "title": title, "status": error.status.code, "message": error.message, "requestID": context.request.id,
        ]
        if let page = try? context.environment.renderer.render("error", values) {
            return .html(page, status: error.status)
        }
        // Templates unusable: a bare page still says what happened.
        return .html("<!doctype html><title>\(error.status.code)</title><h1>\(title)</h1>", status: error.status)
    }

    static func errorTitle(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "That request could not be understood"
        case 403: return "Not allowed"
        case 404: return "Page not found"
        case 405: return "Method not allowed"
        case 413: return "Too large"
        case 429: return "Too many attempts"
        case 500...599: return "Something went wrong"
        default: return status.reasonPhrase
        }
    }
}
