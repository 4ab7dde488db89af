import Foundation
import PatchloopCore

/// The environment handed to child processes, built from an allow-list: what finds
/// programs and sets the locale, the toolchain managers' own settings, and the names a
/// user passes through on purpose. Anything else in Patchloop's environment — API keys,
/// database URLs, cloud credentials, whatever their names — never reaches a child.
public enum ProcessEnvironment {
    /// Variables every child may see.
    static let allowedNames: Set<String> = [
        "PATH", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "HOME", "SHELL", "TMPDIR",
        // Toolchains and where they live; none of these holds a credential.
        "PYENV_ROOT", "PYENV_VERSION", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV",
        "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "CARGO_HOME", "GOROOT", "GOPATH", "GOCACHE", "GOMODCACHE", "GOTOOLCHAIN",
        "JAVA_HOME", "CC", "CXX", "PKG_CONFIG_PATH", "LD_LIBRARY_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR",
        "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "SOURCE_DATE_EPOCH",
    ]
    static let allowedPrefixes = ["LC_"]

    /// Names the user passes through on purpose: `PATCHLOOP_PASS_ENV=NAME,NAME` (the
    /// commands' `--pass-env NAME` sets the same list).
    public static let passThroughVariable = "PATCHLOOP_PASS_ENV"

    /// Whether a child may see `name` (without a pass-through).
    public static func isAllowed(_ name: String) -> Bool {
        allowedNames.contains(name) || allowedPrefixes.contains { name.hasPrefix($0) }
    }

    /// The names in `PATCHLOOP_PASS_ENV` of `base`.
    public static func passedThrough(_ base: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        (base[passThroughVariable] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init).filter { !$0.isEmpty }
    }

    /// `base` (default: this process's environment) cut down to the allow-list plus
    /// `passing` and the names listed in its `PATCHLOOP_PASS_ENV`.
    public static func allowListed(_ base: [String: String] = ProcessInfo.processInfo.environment, passing: [String] = []) -> [String: String] {
        let passed = Set(passing + passedThrough(base))
        return base.filter { isAllowed($0.key) || passed.contains($0.key) }
    }
}
