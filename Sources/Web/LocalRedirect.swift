/// `next=` targets: only paths on this site, so a login link cannot send anyone elsewhere.
public enum LocalRedirect {
    /// `path` when it is a local absolute path (`/account`), else nil. Refuses `//host`,
    /// `/\host`, schemes, control characters and anything not starting with a single slash.
    public static func validated(_ path: String?) -> String? {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.hasPrefix("/\\"),
            path.utf8.count <= 512,
            path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "\\" })
        else { return nil }
        return path
    }
}
