import CutoverConfig
import CutoverCore
import Foundation
import Testing

@Suite("Auto-rollback policy")
struct AutoRollbackPolicyTests {
    let policy = AutoRollbackPolicy(
        window: 20, minimumSample: 10, maxNewErrorRate: 0.1, maxMismatchRate: 0.05, cooldownSeconds: 60)
    let since = Date(timeIntervalSince1970: 1_800_000_000)

    func window(sample: Int, errors: Int = 0, timeouts: Int = 0, mismatches: Int = 0) -> GuardWindow {
        GuardWindow(sample: sample, newErrors: errors, timeouts: timeouts, mismatches: mismatches, since: since)
    }

    @Test("no decision below the minimum sample, however bad the rate")
    func minimumSample() {
        let decision = policy.evaluate(window(sample: 9, errors: 9))
        #expect(!decision.breached)
        #expect(decision.reasons.isEmpty)
    }

    @Test("an error rate above the maximum breaches; at the maximum it does not")
    func errorRate() {
        #expect(!policy.evaluate(window(sample: 20, errors: 2)).breached)
        let decision = policy.evaluate(window(sample: 20, errors: 3, timeouts: 1))
        #expect(decision.breached)
        #expect(decision.reasons == ["new-side error rate 15% above 10% (3 of 20, 1 timeouts)"])
    }

    @Test("a mismatch rate above the maximum breaches on its own")
    func mismatchRate() {
        let decision = policy.evaluate(window(sample: 20, mismatches: 2))
        #expect(decision.breached)
        #expect(decision.reasons == ["mismatch rate 10% above 5% (2 of 20)"])
    }

    @Test("the figures record the window, the thresholds and the reasons as JSON")
    func figures() throws {
        let decision = policy.evaluate(window(sample: 12, errors: 6, timeouts: 2, mismatches: 1))
        let figures = try JSONValue.parse(decision.figures.text)
        #expect(figures.value(at: "/sample")?.scalarText == "12")
        #expect(figures.value(at: "/new_errors")?.scalarText == "6")
        #expect(figures.value(at: "/timeouts")?.scalarText == "2")
        #expect(figures.value(at: "/new_error_rate")?.scalarText == "0.5000")
        #expect(figures.value(at: "/max_new_error_rate")?.scalarText == "0.1000")
        #expect(figures.value(at: "/window")?.scalarText == "20")
        #expect(figures.value(at: "/dry_run") == .bool(false))
        #expect(figures.value(at: "/reasons/1")?.scalarText == "mismatch rate 8.33% above 5% (1 of 12)")
    }
}

@Suite("Roles")
struct RoleTests {
    @Test("each role includes the ones below it and no more")
    func ordering() {
        #expect(Role.admin.permits(.operator) && Role.admin.permits(.viewer) && Role.admin.permits(.admin))
        #expect(Role.operator.permits(.viewer) && Role.operator.permits(.operator) && !Role.operator.permits(.admin))
        #expect(Role.viewer.permits(.viewer) && !Role.viewer.permits(.operator) && !Role.viewer.permits(.admin))
    }
}
