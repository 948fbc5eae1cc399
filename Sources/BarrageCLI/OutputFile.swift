import Foundation
import Glibc
import BarrageCore

/// An output file: checked for writability before the run, written atomically (temp file + rename) after it,
/// so a failure never leaves a half-written or corrupted older file. The path `-` is standard output.
struct OutputFile {
    let path: String
    let flag: String

    /// `-`: standard output (the human text then goes to stderr, see `HumanOutput`).
    var isStdout: Bool { path == "-" }

    /// Exit 2 when more than one output is standard output: their bytes would interleave.
    static func checkOneStdout(_ outputs: [OutputFile]) throws {
        let onStdout = outputs.filter(\.isStdout).map(\.flag)
        guard onStdout.count > 1 else { return }
        throw BarrageError.usage("\(onStdout.joined(separator: " and ")): only one output can be standard output (-); give the others a path")
    }

    /// Before anything is sent or read: at most one output on standard output (exit 2), every other one writable
    /// (exit 1), and the human text moved to stderr when one is on standard output.
    static func prepare(_ outputs: [OutputFile]) throws {
        try checkOneStdout(outputs)
        for o in outputs { try o.checkWritable() }
        if outputs.contains(where: \.isStdout) { HumanOutput.moveToStderr() }
    }

    /// Fails (exit 1) naming the path when its directory cannot take a new file or the file cannot be replaced.
    func checkWritable() throws {
        if isStdout { return }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw BarrageError.failure("\(flag) \(path): directory \(dir) does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw BarrageError.failure("\(flag) \(path): is a directory")
        }
        let probe = tempPath()
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw BarrageError.failure("\(flag) \(path): not writable (\(String(cString: strerror(errno))))")
        }
        close(fd)
        unlink(probe)
    }

    /// Writes `data` to a temporary file beside the target, flushes it, and renames it over the target.
    func write(_ data: Data) throws {
        let data = Secrets.scrub(data)
        if isStdout {
            fflush(nil)
            let err = data.withUnsafeBytes { Self.writeAll(1, $0) }
            guard err == 0 else { throw BarrageError.failure("\(flag) -: cannot write to standard output (\(String(cString: strerror(err))))") }
            return
        }
        let tmp = tempPath()
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw BarrageError.failure("\(flag) \(path): cannot write (\(String(cString: strerror(errno))))")
        }
        var ok = true
        var err: Int32 = 0
        data.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 { if errno == EINTR { continue }; ok = false; err = errno; return }
                offset += n
            }
        }
        if ok && fsync(fd) != 0 { ok = false; err = errno }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            if ok { err = errno }
            unlink(tmp)
            throw BarrageError.failure("\(flag) \(path): cannot write (\(String(cString: strerror(err))))")
        }
    }

    func tempPathForStreaming() -> String { tempPath() }

    /// Writes every byte to `fd`, retrying on EINTR; 0 or the errno of the failure.
    static func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < buf.count {
            let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
            if n < 0 { if errno == EINTR { continue }; return errno }
            offset += n
        }
        return 0
    }

    private func tempPath() -> String {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        return dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
    }
}

/// `--raw`: NDJSON lines streamed to a temporary file beside the target while the run lasts (written on the
/// controller's thread, never the engine's), renamed over the target at the end; with `-`, to standard output.
final class RawWriter {
    let file: OutputFile
    private let tmp: String
    private let fd: Int32
    private var failed: Int32 = 0

    init(path: String) throws {
        file = OutputFile(path: path, flag: "--raw")
        if file.isStdout {
            tmp = ""
            fd = 1
            return
        }
        try file.checkWritable()
        tmp = file.tempPathForStreaming()
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BarrageError.failure("--raw \(path): cannot write (\(String(cString: strerror(errno))))") }
    }

    /// Several scenarios at once hand their lines over from one controller thread each.
    private let lock = NSLock()

    func append(_ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        guard failed == 0 else { return }
        failed = bytes.withUnsafeBytes { OutputFile.writeAll(fd, $0) }
    }

    /// Flushes and renames into place; a write failure names the path (exit 1) and leaves any older file alone.
    func finish() throws {
        if file.isStdout {
            guard failed == 0 else { throw BarrageError.failure("--raw -: cannot write to standard output (\(String(cString: strerror(failed))))") }
            return
        }
        if failed == 0 && fsync(fd) != 0 { failed = errno }
        close(fd)
        guard failed == 0, rename(tmp, file.path) == 0 else {
            let err = failed != 0 ? failed : errno
            unlink(tmp)
            throw BarrageError.failure("--raw \(file.path): cannot write (\(String(cString: strerror(err))))")
        }
    }
}
