import Foundation
import WireProtocol

/// Turns how a case's process ended (and what the tool wrote to its result file) into the status the agent
/// reports, per the tool contract: exit 0 passes, other exits fail, a result file wins over the exit code,
/// a run past its timeout is `timed_out`, a command that cannot start is `error`. A JUnit XML result file
/// decides through its tests (``fromTests(_:exit:)``).
enum CaseOutcome {
    struct Verdict: Equatable {
        var status: ResultStatus
        var exitCode: Int?
        var message: String?
        /// The tests of a JUnit XML result file.
        var tests: [TestRecord]? = nil
    }

    static func classify(_ outcome: CaseProcess.Outcome, resultFile: ResultFile, timeout: Duration) -> Verdict {
        switch outcome {
        case .timedOut:
            return Verdict(status: .timedOut, exitCode: nil, message: "timed out after \(timeout.components.seconds) s")
        case .stopped(.cancelled):
            return Verdict(status: .cancelled, exitCode: nil, message: "cancelled")
        case .stopped(.shutdown):
            return Verdict(status: .error, exitCode: nil, message: "the agent shut down before the case ended")
        case .stopped(.leaseLost):
            return Verdict(status: .error, exitCode: nil, message: "the lease was lost")
        case .failedToStart(let reason):
            return Verdict(status: .error, exitCode: nil, message: reason)
        case .exited, .signaled:
            break
        }
        let exitCode: Int?
        var verdict: Verdict
        switch outcome {
        case .exited(let code):
            exitCode = Int(code)
            switch code {
            case 0: verdict = Verdict(status: .passed, exitCode: 0, message: nil)
            case 126: verdict = Verdict(status: .error, exitCode: 126, message: "command not executable (exit 126)")
            case 127: verdict = Verdict(status: .error, exitCode: 127, message: "command not found (exit 127)")
            default: verdict = Verdict(status: .failed, exitCode: Int(code), message: "exit code \(code)")
            }
        case .signaled(let signal):
            exitCode = nil
            verdict = Verdict(status: .failed, exitCode: nil, message: "killed by signal \(signal)")
        default:
            return Verdict(status: .error, exitCode: nil, message: "unexpected outcome")
        }
        switch resultFile {
        case .absent:
            break
        case .junit(let tests):
            return fromTests(tests, exit: verdict)
        case .unreadable(let reason):
            // An unreadable result file does not decide; the exit code does, and the message says why.
            verdict.message = noted(verdict.message, "result file not read: \(reason)")
        case .json(let data):
            guard let parsed = try? JSONDecoder().decode(ResultFile.JSONForm.self, from: data),
                let status = ResultStatus(rawValue: parsed.status),
                [.passed, .failed, .skipped, .error].contains(status)
            else {
                let note = "result file ignored: neither JUnit XML nor JSON {\"status\": \"passed|failed|skipped|error\", \"message\": \"…\"}"
                verdict.message = noted(verdict.message, note)
                return verdict
            }
            verdict = Verdict(status: status, exitCode: exitCode, message: parsed.message ?? verdict.message)
        }
        return verdict
    }

    /// `message` with `note` after it.
    static func noted(_ message: String?, _ note: String) -> String {
        message.map { "\($0); \(note)" } ?? note
    }
}
