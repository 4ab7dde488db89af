import PatchloopBenchmarks
import PatchloopExport
import PatchloopTesting
import Testing

@Suite("Export benchmark")
struct ExportBenchmarkTests {
    @Test("the benchmark's run has resolved and unresolved attempts of the same tasks, so dpo is timed on real pairs")
    func dpoMakesPairs() async throws {
        // 10 attempts over 2 tasks, 5 each: 3 resolved and 2 unresolved (or 2 and 3) per task, 6 pairs per task.
        let measurement = try await ExportBenchmark.measure(attempts: 10, stepsPerAttempt: 2)
        #expect(measurement.produced[.dpo] == 12)
        #expect(measurement.produced[.openai] == 10)
        #expect(measurement.report.contains("dpo:"))
        #expect(measurement.report.contains("12 pairs written"))
    }
}
