import CutoverCore
import Testing

@Suite("Canary routing")
struct CanaryRouterTests {
    let keys = (0..<5_000).map { "SUP-\($0)" }

    @Test("the same key always lands in the same bucket")
    func stable() {
        for key in keys.prefix(100) {
            #expect(
                CanaryRouter.bucket(flow: "po", routingKey: key) == CanaryRouter.bucket(flow: "po", routingKey: key))
        }
        #expect(
            CanaryRouter.bucket(flow: "purchase-order-create", routingKey: "SUP-1001") == 6_419,
            "bucket values are part of the contract: changing the hash would move live traffic")
    }

    @Test("raising the percent never moves a key from new back to legacy")
    func monotonic() {
        let percents: [Double] = [1, 5, 10, 25, 50, 75, 99, 100]
        for key in keys {
            var servedByNew = false
            for percent in percents {
                let side = CanaryRouter.servedBy(
                    ModeSetting(mode: .canary, percent: percent), flow: "po", routingKey: key)
                if servedByNew { #expect(side == .new, "key \(key) moved back at \(percent)%") }
                servedByNew = side == .new
            }
        }
    }

    @Test("the new side's share follows the percent", arguments: [10.0, 25, 50])
    func share(percent: Double) {
        let setting = ModeSetting(mode: .canary, percent: percent)
        let served = keys.filter { CanaryRouter.servedBy(setting, flow: "po", routingKey: $0) == .new }.count
        let share = Double(served) / Double(keys.count) * 100
        #expect(abs(share - percent) < 3, "\(share)% served by new at \(percent)%")
    }

    @Test("modes other than canary ignore the key")
    func otherModes() {
        #expect(CanaryRouter.servedBy(.legacy, flow: "po", routingKey: "k") == .legacy)
        #expect(CanaryRouter.servedBy(ModeSetting(mode: .shadow), flow: "po", routingKey: "k") == .legacy)
        #expect(CanaryRouter.servedBy(ModeSetting(mode: .new), flow: "po", routingKey: "k") == .new)
    }

    @Test("an exchange without a routing key stays on legacy in canary")
    func noKey() {
        #expect(CanaryRouter.servedBy(ModeSetting(mode: .canary, percent: 100), flow: "po", routingKey: nil) == .legacy)
    }

    @Test("the same key falls in different buckets for different flows")
    func perFlow() {
        let differing = keys.prefix(200).filter {
            CanaryRouter.bucket(flow: "a", routingKey: $0) != CanaryRouter.bucket(flow: "b", routingKey: $0)
        }
        #expect(differing.count > 190)
    }
}
