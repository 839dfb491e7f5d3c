/// The id of a stored `Record`: a number the database gave it, typed by what it identifies, so a
/// session id cannot be passed where a user id is expected.
public struct RecordID<Record>: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: Int64

    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int64) { self.rawValue = rawValue }

    /// The id written in a path or a form (`"42"`); nil for anything else.
    public init?(_ text: String) {
        guard let value = Int64(text), value > 0 else { return nil }
        rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}

/// A record as the database holds it: its id and its fields. The fields are reached directly
/// (`grant.siteURL`), so a record type is written once, without an optional id. Inlinable, so a
/// field read through it compiles to a plain field read in the calling module.
@dynamicMemberLookup
public struct Stored<Record: Sendable>: Sendable {
    public let id: RecordID<Record>
    public var record: Record

    @inlinable
    public init(id: RecordID<Record>, _ record: Record) {
        self.id = id
        self.record = record
    }

    @inlinable
    public subscript<Value>(dynamicMember field: WritableKeyPath<Record, Value>) -> Value {
        get { record[keyPath: field] }
        set { record[keyPath: field] = newValue }
    }

    @inlinable
    public subscript<Value>(dynamicMember field: KeyPath<Record, Value>) -> Value {
        record[keyPath: field]
    }
}

extension Stored: Equatable where Record: Equatable {}
extension Stored: Encodable where Record: Encodable {
    private enum CodingKeys: String, CodingKey { case id }

    public func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
    }
}

public typealias UserID = RecordID<User>
public typealias IdentityID = RecordID<Identity>
public typealias SessionID = RecordID<Session>
public typealias TrezorChallengeID = RecordID<TrezorChallenge>
public typealias TrusteeAttemptID = RecordID<TrusteeAttempt>
public typealias RegulationAttemptID = RecordID<RegulationAttempt>
public typealias TeamID = RecordID<Team>
public typealias MembershipID = RecordID<Membership>
public typealias APITokenID = RecordID<APIToken>
public typealias InvitationID = RecordID<Invitation>
public typealias ConnectTokenID = RecordID<ConnectToken>
public typealias TeamTokenID = RecordID<TeamToken>
public typealias GrantID = RecordID<Grant>
