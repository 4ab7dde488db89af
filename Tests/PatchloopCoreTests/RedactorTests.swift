import Foundation
import PatchloopCore
import Testing

@Suite("Redactor")
struct RedactorTests {
    @Test("values of variables named like credentials are hidden, and the password of any URL")
    func environmentAndURLs() {
        let redactor = Redactor(environment: [
            "PGPASSWORD": "pg-secret-1", "AZURE_OPENAI_KEY": "az-secret-2", "DATABASE_URL": "postgres://app:db-secret-3@db/x",
            "PATH": "/usr/bin:/bin", "SHORT_TOKEN": "abc",
        ])
        let text = "pg-secret-1 az-secret-2 postgres://app:db-secret-3@db/x /usr/bin abc redis://u:other-pw@cache:6379"
        let redacted = redactor.redact(text)
        #expect(!redacted.contains("pg-secret-1"))
        #expect(!redacted.contains("az-secret-2"))
        #expect(!redacted.contains("db-secret-3"))
        #expect(!redacted.contains("other-pw"), "a URL password is hidden even when no variable holds it")
        #expect(redacted.contains("postgres://app:[REDACTED]@db/x"))
        #expect(redacted.contains("/usr/bin"), "an ordinary value stays")
        #expect(redacted.contains(" abc "), "values too short to be told from ordinary text stay")
    }

    @Test("a registered key is hidden in plain text, inside JSON strings, and in every string of a document")
    func registeredKeys() throws {
        let redactor = Redactor()
        let key = "sk-test\"quoted/slash-0123456789"
        redactor.register(key)
        #expect(redactor.redact("key=\(key).") == "key=[REDACTED].")
        let document: JSONValue = ["message": .string("bad key \(key)"), "list": [.string(key)]]
        #expect(!redactor.redact(document.encoded()).contains("0123456789"))
        #expect(redactor.redact(document) == ["message": "bad key [REDACTED]", "list": ["[REDACTED]"]])
    }
}
