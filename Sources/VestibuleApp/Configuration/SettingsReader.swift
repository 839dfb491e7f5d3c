import Configuration
import Foundation
import SystemPackage

/// A configuration problem, named by the key and where its value came from.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let key: String
    public let source: String?
    public let problem: String

    public var description: String {
        if let source { return "configuration: \(key) (\(source)) \(problem)" }
        return "configuration: \(key) \(problem)"
    }
}

/// Reads settings from `VESTIBULE_*` environment variables first, then the config file, through
/// swift-configuration's providers. Unlike a plain lookup with a default, a value that is present
/// but unusable is an error naming the key and its source, never silently replaced by the default.
/// Keys read are remembered, so a key in the file that nothing reads (a typo) is reported too.
final class SettingsReader {
    private struct Source {
        let provider: any ConfigProvider
        let describe: (String) -> String
    }

    private var sources: [Source] = []
    private(set) var keysRead: Set<String> = []
    /// The whole environment, for the few variables that are not `VESTIBULE_*` settings.
    let environment: [String: String]

    init(environment: [String: String], file: (provider: any ConfigProvider, path: String)?) {
        self.environment = environment
        let prefixed = EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "vestibule")
        sources.append(Source(provider: prefixed) { key in "environment variable \(Self.environmentName(for: key))" })
        if let file {
            sources.append(Source(provider: file.provider) { key in "\(key) in \(file.path)" })
        }
    }

    /// `session.idleTimeout` → `VESTIBULE_SESSION_IDLE_TIMEOUT`, as swift-configuration encodes it.
    static func environmentName(for key: String) -> String {
        var name = "VESTIBULE"
        for component in key.split(separator: ".") {
            var word = ""
            var previous: Character?
            for character in component {
                if let previous, previous.isLowercase, character.isUppercase { word.append("_") }
                word.append(character)
                previous = character
            }
            name += "_" + word.uppercased()
        }
        return name
    }

    private func lookup(_ key: String, _ type: ConfigType, expected: String) throws -> (ConfigContent, String)? {
        keysRead.insert(key)
        let absolute = AbsoluteConfigKey(key.split(separator: ".").map(String.init))
        for source in sources {
            do {
                if let value = try source.provider.value(forKey: absolute, type: type).value {
                    return (value.content, source.describe(key))
                }
            } catch {
                throw ConfigurationError(key: key, source: source.describe(key), problem: "must be \(expected)")
            }
        }
        return nil
    }

    func string(_ key: String, default fallback: String) throws -> String {
        guard let (content, source) = try lookup(key, .string, expected: "a string") else { return fallback }
        guard case .string(let value) = content else {
            throw ConfigurationError(key: key, source: source, problem: "must be a string")
        }
        return value
    }

    func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let (content, source) = try lookup(key, .int, expected: expected) else { return fallback }
        guard case .int(let value) = content, range.contains(value) else {
            throw ConfigurationError(key: key, source: source, problem: "must be \(expected)")
        }
        return value
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let (content, source) = try lookup(key, .bool, expected: "true or false") else { return fallback }
        guard case .bool(let value) = content else {
            throw ConfigurationError(key: key, source: source, problem: "must be true or false")
        }
        return value
    }

    /// A string that `parse` accepts; `parse` returns nil for a bad value, and `expected` says what is wanted.
    func parsed<T>(_ key: String, default fallback: T, expected: String, _ parse: (String) -> T?) throws -> T {
        guard let (content, source) = try lookup(key, .string, expected: expected) else { return fallback }
        guard case .string(let text) = content, let value = parse(text) else {
            throw ConfigurationError(key: key, source: source, problem: "must be \(expected)")
        }
        return value
    }

    /// Dotted names of every leaf in a JSON config file: `{"session": {"idleTimeout": 1}}` → `session.idleTimeout`.
    static func leafKeys(ofJSONFile path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let object = try JSONSerialization.jsonObject(with: data)
        func walk(_ value: Any, _ prefix: String) -> [String] {
            guard let dictionary = value as? [String: Any] else { return [prefix] }
            return dictionary.keys.sorted().flatMap { walk(dictionary[$0]!, prefix.isEmpty ? $0 : "\(prefix).\($0)") }
        }
        return walk(object, "")
    }
}
