import CutoverCore
import Testing

@Suite("Mode transitions")
struct ModeTransitionTests {
    @Test(
        "each forward step is allowed",
        arguments: [
            (ModeSetting.legacy, ModeSetting(mode: .shadow)),
            (ModeSetting(mode: .shadow), ModeSetting(mode: .canary, percent: 5)),
            (ModeSetting(mode: .canary, percent: 5), ModeSetting(mode: .canary, percent: 50)),
            (ModeSetting(mode: .canary, percent: 50), ModeSetting(mode: .new)),
        ])
    func forwardStep(from: ModeSetting, to: ModeSetting) throws {
        try ModeTransition.check(from: from, to: to, force: false)
    }

    @Test(
        "a forward move that skips a step is refused without force",
        arguments: [
            (ModeSetting.legacy, ModeSetting(mode: .canary, percent: 10)),
            (ModeSetting.legacy, ModeSetting(mode: .new)),
            (ModeSetting(mode: .shadow), ModeSetting(mode: .new)),
        ])
    func skipRefused(from: ModeSetting, to: ModeSetting) throws {
        #expect(throws: ModeTransition.Violation.self) { try ModeTransition.check(from: from, to: to, force: false) }
        try ModeTransition.check(from: from, to: to, force: true)
    }

    @Test("moves back towards legacy are always allowed")
    func backwards() throws {
        try ModeTransition.check(from: ModeSetting(mode: .new), to: .legacy, force: false)
        try ModeTransition.check(
            from: ModeSetting(mode: .new), to: ModeSetting(mode: .canary, percent: 10), force: false)
        try ModeTransition.check(
            from: ModeSetting(mode: .canary, percent: 10), to: ModeSetting(mode: .shadow), force: false)
    }

    @Test("canary needs a percent in (0, 100]", arguments: [0.0, -1, 100.5])
    func canaryPercent(percent: Double) {
        let error = #expect(throws: ModeTransition.Violation.self) {
            try ModeTransition.check(
                from: ModeSetting(mode: .shadow), to: ModeSetting(mode: .canary, percent: percent), force: true)
        }
        #expect(error?.code == .invalidPercent)
    }

    @Test("setting the mode a flow already has is reported as unchanged")
    func unchanged() {
        let error = #expect(throws: ModeTransition.Violation.self) {
            try ModeTransition.check(from: .legacy, to: .legacy, force: false)
        }
        #expect(error?.code == .unchanged)
    }
}
