public enum VestibuleVersion {
    /// The release, shown by `/api/status` and `vestibule --version`.
    public static let current = "0.1.0"
}
