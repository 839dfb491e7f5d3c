import Web

/// `POST /logout`: ends the browser's session (its row and its cookie), signed in or not.
public struct SignOutFeature: Feature {
    public init() {}

    public func register(_ routes: inout Routes) {
        routes.page(.post, "/logout") { context in
            try context.endSession()
            return .redirect(to: "/")
        }
    }
}
