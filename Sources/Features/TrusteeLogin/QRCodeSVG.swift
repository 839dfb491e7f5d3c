import CQRencode

/// A QR code as SVG, made with libqrencode: error correction M, 8-bit mode, a quiet zone of four
/// modules, one `path` of unit squares (crisp at any size, a few kilobytes).
public enum QRCodeSVG {
    public static let quietZone = 4

    public struct TooLong: Error {}

    public static func svg(encoding text: String) throws(TooLong) -> String {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { throw TooLong() }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let size = width + 2 * quietZone
        var path = ""
        path.reserveCapacity(width * width * 4)
        for row in 0..<width {
            var column = 0
            while column < width {
                // Runs of dark modules in a row become one rectangle: the lowest bit is "dark".
                guard code.pointee.data[row * width + column] & 1 == 1 else {
                    column += 1
                    continue
                }
                let start = column
                while column < width, code.pointee.data[row * width + column] & 1 == 1 { column += 1 }
                path += "M\(start + quietZone) \(row + quietZone)h\(column - start)v1h-\(column - start)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" width="\(size * 8)" height="\(size * 8)" \
            shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="\(size)" height="\(size)" fill="#fff"/>\
            <path fill="#000" d="\(path)"/></svg>

            """
    }
}
