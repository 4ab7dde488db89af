import Foundation
import PatchloopAgent
import Testing

@Suite("Exit status: one enum from the loop to the files")
struct ExitStatusTests {
    static let all: [PatchloopAgent.ExitStatus] = [.submitted, .testsPassed, .formatError, .stuck, .modelError, .contextExhausted, .infrastructureError, .cancelled]
        + BudgetKind.allCases.map { .budgetExhausted($0) }

    @Test("every status reads back from the text results and trajectories hold, and through Codable")
    func roundTrip() throws {
        for status in Self.all {
            #expect(PatchloopAgent.ExitStatus(status.description) == status)
            let data = try JSONEncoder().encode([status])
            #expect(String(decoding: data, as: UTF8.self) == "[\"\(status.description)\"]")
            #expect(try JSONDecoder().decode([PatchloopAgent.ExitStatus].self, from: data) == [status])
        }
    }

    @Test("an unknown status is refused with its text, not taken for another")
    func unknownStatus() {
        #expect(PatchloopAgent.ExitStatus("budget_exhausted:patience") == nil)
        #expect(PatchloopAgent.ExitStatus("Submitted") == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([PatchloopAgent.ExitStatus].self, from: Data(#"["finished"]"#.utf8)) }
    }
}
