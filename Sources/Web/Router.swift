import HTTPTypes
import Foundation

/// How a route meets the world: which errors it shows, whether it has a browser session and CSRF.
public enum RouteKind: Sendable {
    /// A page for browsers: HTML errors, session cookie, CSRF token on every unsafe method.
    case page
    /// JSON called by our own pages' scripts: JSON errors, session cookie, CSRF header required.
    case browserAPI
    /// JSON for other programs: JSON errors, no cookies, no CSRF (they authenticate otherwise).
    case api

    public var answersJSON: Bool { self != .page }
    public var usesSession: Bool { self != .api }
}

public typealias Handler = @Sendable (RequestContext) throws -> Response

public struct Route: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    public let kind: RouteKind
    public let handler: Handler
}

/// The routes a feature adds: `routes.page(.get, "/login") { ctx in ... }`.
/// Path segments starting with `:` are parameters: `/api/v1/sites/:secretId`.
public struct Routes: Sendable {
    public private(set) var all: [Route] = []

    public init() {}

    public mutating func add(_ method: HTTPRequest.Method, _ path: String, _ kind: RouteKind, _ handler: @escaping Handler) {
        all.append(Route(method: method, path: path, kind: kind, handler: handler))
    }

    public mutating func page(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        add(method, path, .page, handler)
    }

    public mutating func browserAPI(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        add(method, path, .browserAPI, handler)
    }

    public mutating func api(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        add(method, path, .api, handler)
    }

    /// The same routes with each handler wrapped by `transform` (the middleware chain).
    func mappingHandlers(_ transform: (@escaping Handler) -> Handler) -> Routes {
        var mapped = Routes()
        for route in all { mapped.add(route.method, route.path, route.kind, transform(route.handler)) }
        return mapped
    }
}

/// Finds the route for a method and path: a trie of path segments, constants tried before
/// parameters, backtracking when a branch dead-ends. Parameter names belong to the route, not the
/// trie node, so `sites/:secretId/verify-identifier` and `sites/:accountId/:secretId/get-envelope`
/// live side by side, as the TrustedLogin API needs (RoutingKit refuses that pair).
public final class Router: Sendable {
    private let root: Node

    public enum Match {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [HTTPRequest.Method])
        case notFound
    }

    private final class Node: Sendable {
        let constants: [String: Node]
        let parameter: Node?
        /// Routes ending here, by method, with the parameter names of their path in order.
        let routes: [HTTPRequest.Method: (route: Route, names: [String])]

        init(constants: [String: Node], parameter: Node?, routes: [HTTPRequest.Method: (route: Route, names: [String])]) {
            self.constants = constants
            self.parameter = parameter
            self.routes = routes
        }
    }

    /// The mutable form used while building.
    private final class Builder {
        var constants: [String: Builder] = [:]
        var parameter: Builder?
        var routes: [HTTPRequest.Method: (route: Route, names: [String])] = [:]

        func freeze() -> Node {
            Node(constants: constants.mapValues { $0.freeze() }, parameter: parameter?.freeze(), routes: routes)
        }
    }

    public init(_ routes: Routes) {
        let root = Builder()
        for route in routes.all {
            var node = root
            var names: [String] = []
            for segment in route.path.split(separator: "/").map(String.init) {
                if segment.hasPrefix(":") {
                    names.append(String(segment.dropFirst()))
                    if node.parameter == nil { node.parameter = Builder() }
                    node = node.parameter!
                } else {
                    if node.constants[segment] == nil { node.constants[segment] = Builder() }
                    node = node.constants[segment]!
                }
            }
            precondition(node.routes[route.method] == nil, "route registered twice: \(route.method) \(route.path)")
            node.routes[route.method] = (route, names)
        }
        self.root = root.freeze()
    }

    public func match(method: HTTPRequest.Method, segments: [String]) -> Match {
        var values: [String] = []
        guard let node = Self.find(root, segments[...], &values) else { return .notFound }
        let lookup = method == .head ? (node.routes[.head] ?? node.routes[.get]) : node.routes[method]
        guard let (route, names) = lookup else {
            var allowed = Array(node.routes.keys)
            if node.routes[.get] != nil, node.routes[.head] == nil { allowed.append(.head) }
            return .methodNotAllowed(allowed: allowed.sorted { $0.rawValue < $1.rawValue })
        }
        var parameters: [String: String] = [:]
        for (name, value) in zip(names, values) {
            parameters[name] = value.removingPercentEncoding ?? value
        }
        return .found(route, parameters: parameters)
    }

    /// The node that ends `segments` and has routes, preferring constants; collects parameter values.
    private static func find(_ node: Node, _ segments: ArraySlice<String>, _ values: inout [String]) -> Node? {
        guard let segment = segments.first else { return node.routes.isEmpty ? nil : node }
        if let constant = node.constants[segment], let found = find(constant, segments.dropFirst(), &values) {
            return found
        }
        if let parameter = node.parameter {
            values.append(segment)
            if let found = find(parameter, segments.dropFirst(), &values) { return found }
            values.removeLast()
        }
        return nil
    }
}
