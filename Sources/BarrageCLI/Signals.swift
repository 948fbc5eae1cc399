import Glibc
import Synchronization

/// SIGINT/SIGTERM arrivals, counted by an async-signal-safe handler and read by the controller.
enum Signals {
    static let received = Atomic<Int>(0)

    /// Installs the counting handler for SIGINT and SIGTERM.
    static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            Signals.received.add(1, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
    }

    static var count: Int { received.load(ordering: .relaxed) }
}
