import Glibc

/// Writes to stderr unbuffered.
func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { buf in
        var offset = 0
        while offset < buf.count {
            let n = write(2, buf.baseAddress! + offset, buf.count - offset)
            if n <= 0 { break }
            offset += n
        }
    }
}

/// Prints to stdout and flushes, so lines reach pipes promptly (tests read `serve`'s first line).
func printFlush(_ text: String) {
    print(text)
    fflush(nil)
}
