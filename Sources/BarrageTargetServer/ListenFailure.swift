import Glibc
import NIOCore

/// Why a server could not listen, in a few words without SwiftNIO's internals (`address already in use`, not
/// `bind(descriptor:ptr:bytes:): Address already in use (errno: 98)`), for one-line errors.
public enum ListenFailure {
    public static func reason(_ error: any Error) -> String {
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        if let address = error as? SocketAddressError {
            switch address {
            case .unknown(let host, _): return "cannot resolve host \(host)"
            default: return "not a usable address"
            }
        }
        return "\(type(of: error))"
    }
}
