import Foundation
import PatchloopCore
import PatchloopTasks
import Testing

@Suite("Environment spec")
struct EnvironmentSpecTests {
    @Test("a placeholder")
    func placeholder() {}
}
