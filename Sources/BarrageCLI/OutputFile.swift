import Foundation
import Glibc
import BarrageCore

/// An output file: checked for writability before the run, written atomically (temp file + rename) after it,
/// so a failure never leaves a half-written or corrupted older file.
struct OutputFile {
    let path: String
    let flag: String

    /// Fails (exit 1) naming the path when its directory cannot take a new file or the file cannot be replaced.
    func checkWritable() throws {
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

    private func tempPath() -> String {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        return dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
    }
}

/// `--raw`: NDJSON lines streamed to a temporary file beside the target while the run lasts (written on the
/// controller's thread, never the engine's), renamed over the target at the end.
final class RawWriter {
    let file: OutputFile
    private let tmp: String
    private let fd: Int32
    private var failed: Int32 = 0

    init(path: String) throws {
        file = OutputFile(path: path, flag: "--raw")
        try file.checkWritable()
        tmp = file.tempPathForStreaming()
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BarrageError.failure("--raw \(path): cannot write (\(String(cString: strerror(errno))))") }
    }

    func append(_ bytes: [UInt8]) {
        guard failed == 0 else { return }
        bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 { if errno == EINTR { continue }; failed = errno; return }
                offset += n
            }
        }
    }

    /// Flushes and renames into place; a write failure names the path (exit 1) and leaves any older file alone.
    func finish() throws {
        if failed == 0 && fsync(fd) != 0 { failed = errno }
        close(fd)
        guard failed == 0, rename(tmp, file.path) == 0 else {
            let err = failed != 0 ? failed : errno
            unlink(tmp)
            throw BarrageError.failure("--raw \(file.path): cannot write (\(String(cString: strerror(err))))")
        }
    }
}
