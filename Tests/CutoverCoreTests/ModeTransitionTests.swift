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

@Suite("Readiness assessment")
struct ReadinessAssessmentTests {
    @Test("match rate is matches over compared exchanges; legacy errors and not-compared ones are left out")
    func rate() {
        let assessment = ReadinessAssessment.assess(
            flow: "f", minimumExchanges: 100, minimumMatchRate: 0.99,
            counts: [.match: 99, .mismatch: 1, .newError: 0, .legacyError: 40, .notCompared: 500])
        #expect(assessment.compared == 100)
        #expect(assessment.matchRate == 0.99)
        #expect(assessment.passes)
    }

    @Test("too few exchanges, or too many mismatches or new errors, fail with the reason")
    func failures() {
        let few = ReadinessAssessment.assess(
            flow: "f", minimumExchanges: 1_000, minimumMatchRate: 0.999, counts: [.match: 10])
        #expect(!few.passes)
        #expect(few.reasons == ["10 compared exchanges, 1000 required"])
        let errors = ReadinessAssessment.assess(
            flow: "f", minimumExchanges: 10, minimumMatchRate: 0.999, counts: [.match: 998, .newError: 2])
        #expect(errors.reasons == ["match rate 99.8% below 99.9%"])
        let none = ReadinessAssessment.assess(flow: "f", minimumExchanges: nil, minimumMatchRate: 0.9, counts: [:])
        #expect(none.reasons == ["no compared exchanges, so no match rate"])
    }

    @Test("a flow without criteria is ready")
    func noCriteria() {
        #expect(
            ReadinessAssessment.assess(flow: "f", minimumExchanges: nil, minimumMatchRate: nil, counts: [:]).passes)
    }
}
