// swift-tools-version: 6.2
import PackageDescription

/// Our own targets build in Swift 6 language mode with every warning an error.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Vestibule",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vestibule", targets: ["vestibule"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // Layer 1: C libraries from Debian, found through pkg-config.
        .systemLibrary(
            name: "CFastCGI", pkgConfig: "fcgi",
            providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(
            name: "CSecp256k1", pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(
            name: "CQRencode", pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]),

        // libcurl for outbound HTTP, with typed setters: curl_easy_setopt is variadic.
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]),
        // Outbound HTTP (providers, vendor sites): libcurl with an address policy against SSRF.
        .target(
            name: "Outbound",
            dependencies: ["CCurl"],
            swiftSettings: strict),

        // The external providers' clients (Trustee, and the next ones), with their wire parsing
        // in one place each, over the provider HTTP client.
        .target(
            name: "Providers",
            dependencies: ["Outbound", "Support"],
            swiftSettings: strict),

        // Layer 2: the FastCGI server on libfcgi. Knows nothing of routes.
        .target(
            name: "FastCGI",
            dependencies: [
                "CFastCGI",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Small shared pieces: injected clock and randomness, encodings, constant-time comparison.
        .target(
            name: "Support",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),

        // The SLIP-0013 (Trezor sign-in) verifier on libsecp256k1.
        .target(
            name: "SLIP0013",
            dependencies: ["CSecp256k1", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),

        // Signs challenges like a Trezor, with a given key: for the tests and the benchmark only.
        .target(
            name: "SLIP0013Signing",
            dependencies: ["CSecp256k1", "SLIP0013", "Support"],
            swiftSettings: strict),

        // Storage, the contract: records with typed ids, one store protocol per aggregate, the
        // unit of work. No database library.
        .target(
            name: "Storage",
            dependencies: ["Support"],
            swiftSettings: strict),
        // The stores written once in SQL (`?` placeholders), over a small connection protocol
        // each backend implements; the schema's table list. No database library either.
        .target(
            name: "StorageSQL",
            dependencies: ["Storage", "Support"],
            swiftSettings: strict),
        // One node: SQLite through GRDB (DatabasePool, WAL). GRDB is imported internally only.
        .target(
            name: "StorageSQLite",
            dependencies: [
                "Storage", "StorageSQL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // One or many nodes: PostgreSQL through libpq, one connection per worker thread.
        .systemLibrary(
            name: "CLibpq", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .target(
            name: "StoragePostgres",
            dependencies: [
                "Storage", "StorageSQL", "Support", "CLibpq",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Layer 3: routing, middleware, sessions, CSRF, rendering. Knows nothing of features.
        .target(
            name: "Web",
            dependencies: [
                "FastCGI", "Storage", "Support",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict),

        // Layer 4: the features, a folder each.
        .target(
            name: "Features",
            dependencies: [
                "Web", "Storage", "Support", "SLIP0013", "Outbound", "Providers", "CQRencode",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),

        // The provider emulators and test aids (sandbox only), on their own FastCGI server.
        .target(
            name: "Sandbox",
            dependencies: [
                "Web", "Support", "Features",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict),

        // Layer 7: configuration, wiring and the command line.
        .target(
            name: "VestibuleApp",
            dependencies: [
                "FastCGI", "Web", "Storage", "StorageSQL", "StorageSQLite", "StoragePostgres", "Support", "Features",
                "Outbound", "Providers", "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "vestibule",
            dependencies: ["VestibuleApp"],
            swiftSettings: strict),
        // The benchmark's and the soak's helper (scripts/bench, scripts/soak): kept out of the shipped program.
        .executableTarget(
            name: "vestibule-bench",
            dependencies: [
                "VestibuleApp", "SLIP0013", "SLIP0013Signing", "CSecp256k1", "Outbound", "Support",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/VestibuleBench",
            swiftSettings: strict),

        // The fuzz targets' checks (what must hold for any input), shared by `vestibule-fuzz`
        // (libFuzzer, `make fuzz`) and the unit tests that replay Tests/Fuzz/corpus.
        .target(
            name: "FuzzChecks",
            dependencies: [
                "FastCGI", "Web", "Support", "SLIP0013", "CSecp256k1", "Features",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "vestibule-fuzz",
            dependencies: ["FuzzChecks"],
            path: "Sources/VestibuleFuzz",
            swiftSettings: strict),

        // Helpers the test targets share (paths, temporary folders, the PHP fixture, the
        // throwaway PostgreSQL server).
        .target(name: "CTestSupport"),
        .target(
            name: "TestSupport",
            dependencies: ["CTestSupport"],
            path: "Sources/TestSupport",
            swiftSettings: strict),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "FastCGI", "Web", "Storage", "StorageSQL", "StorageSQLite", "StoragePostgres", "Support", "Features",
                "VestibuleApp", "CQRencode", "CSecp256k1", "SLIP0013", "SLIP0013Signing", "Outbound", "TestSupport",
                "FuzzChecks", "Providers", "Sandbox",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "VestibuleApp", "Storage", "StorageSQL", "StorageSQLite", "StoragePostgres", "SLIP0013Signing", "Support",
                "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
    ]
)
