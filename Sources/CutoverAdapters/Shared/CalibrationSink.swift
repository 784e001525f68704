import CutoverCore
import CutoverStore
import Foundation

/// Where noise calibration's findings go: one entry per read-only exchange sent to legacy twice.
public protocol CalibrationSink: Sendable {
    func record(flow: String, exchangeID: UUID, exchangeStartedAt: Date, operation: String?, diff: [FieldDiff])
        async throws
}

extension CalibrationStore: CalibrationSink {}
