import Foundation

/// SWE-bench's per-instance report entry (`grading.py::get_eval_report`): the inner object
/// of `report.json`, `{"<instance_id>": {…}}`, with Patchloop's three harness fields
/// beside SWE-bench's (`infra_failure`, `infra_failure_reason`, `patch_refused`).
public struct SWEbenchReport: Codable, Sendable, Hashable {
    /// The tests of one list that passed and failed.
    public struct Outcome: Codable, Sendable, Hashable {
        public var success: [String]
        public var failure: [String]

        public init(success: [String] = [], failure: [String] = []) {
            self.success = success
            self.failure = failure
        }
    }

    /// `tests_status`: the four lists SWE-bench reports (Patchloop grades the first two).
    public struct TestsStatus: Codable, Sendable, Hashable {
        public var failToPass = Outcome()
        public var passToPass = Outcome()
        public var failToFail = Outcome()
        public var passToFail = Outcome()

        public init(failToPass: Outcome = Outcome(), passToPass: Outcome = Outcome()) {
            self.failToPass = failToPass
            self.passToPass = passToPass
        }

        enum CodingKeys: String, CodingKey {
            case failToPass = "FAIL_TO_PASS", passToPass = "PASS_TO_PASS", failToFail = "FAIL_TO_FAIL", passToFail = "PASS_TO_FAIL"
        }
    }

    public var patchIsNone: Bool
    public var patchExists: Bool
    public var patchSuccessfullyApplied: Bool
    public var resolved: Bool
    public var testsStatus: TestsStatus
    /// The harness failed (not the patch); absent in SWE-bench's own files.
    public var infraFailure: Bool?
    public var infraFailureReason: String?
    /// Why the patch was refused without being tried (it touches `.git`…).
    public var patchRefused: String?

    public init(
        patchIsNone: Bool, patchExists: Bool, patchSuccessfullyApplied: Bool, resolved: Bool, testsStatus: TestsStatus = TestsStatus(),
        infraFailureReason: String? = nil, patchRefused: String? = nil
    ) {
        self.patchIsNone = patchIsNone
        self.patchExists = patchExists
        self.patchSuccessfullyApplied = patchSuccessfullyApplied
        self.resolved = resolved
        self.testsStatus = testsStatus
        self.infraFailure = infraFailureReason != nil
        self.infraFailureReason = infraFailureReason
        self.patchRefused = patchRefused
    }

    /// The entry of an attempt that was never graded: not applied, not resolved.
    public static func ungraded(patch: String?) -> SWEbenchReport {
        SWEbenchReport(patchIsNone: patch == nil, patchExists: !(patch ?? "").isEmpty, patchSuccessfullyApplied: false, resolved: false)
    }

    enum CodingKeys: String, CodingKey {
        case patchIsNone = "patch_is_None", patchExists = "patch_exists", patchSuccessfullyApplied = "patch_successfully_applied"
        case resolved, testsStatus = "tests_status", infraFailure = "infra_failure", infraFailureReason = "infra_failure_reason"
        case patchRefused = "patch_refused"
    }
}
