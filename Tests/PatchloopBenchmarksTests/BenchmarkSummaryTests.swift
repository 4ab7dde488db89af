import PatchloopBenchmarks
import Testing

@Suite("Benchmark summaries")
struct BenchmarkSummaryTests {
    @Test("a loop run's summary gives the medians of its first and last tenth of steps beside the overall one")
    func firstAndLastTenth() {
        // 100 steps that get slower: 1 ms each for the first 50, then 3 ms.
        let seconds = (0..<100).map { $0 < 50 ? 0.001 : 0.003 }
        let summary = Benchmarks.StepSummary(seconds)
        #expect(summary.overall.count == 100)
        #expect(summary.firstTenth.count == 10)
        #expect(summary.lastTenth.count == 10)
        #expect(abs(summary.firstTenth.median - 1) < 1e-9)
        #expect(abs(summary.lastTenth.median - 3) < 1e-9)
    }

    @Test("a run shorter than ten steps still has a first and a last tenth of one step")
    func shortRun() {
        let summary = Benchmarks.StepSummary([0.002, 0.004, 0.008])
        #expect(summary.firstTenth.count == 1)
        #expect(abs(summary.firstTenth.median - 2) < 1e-9)
        #expect(abs(summary.lastTenth.median - 8) < 1e-9)
        #expect(Benchmarks.StepSummary([]).lastTenth.count == 0)
    }
}
