import Foundation
import PatchloopCore

/// List prices of common hosted models, in US dollars per million tokens, and the
/// user's own additions (`--prices FILE`). A model with no price counts tokens and
/// reports its cost as unknown.
///
/// Prices change; these are the providers' published list prices when written.
/// Override or extend them with a file rather than trusting them blindly.
public struct PriceTable: Sendable {
    public private(set) var prices: [String: ModelPricing]

    public init(prices: [String: ModelPricing] = PriceTable.builtIn) {
        self.prices = prices
    }

    public static let builtIn: [String: ModelPricing] = [
        "gpt-4.1": ModelPricing(inputPerMillion: 2.0, outputPerMillion: 8.0, cachedInputPerMillion: 0.5),
        "gpt-4.1-mini": ModelPricing(inputPerMillion: 0.4, outputPerMillion: 1.6, cachedInputPerMillion: 0.1),
        "gpt-4.1-nano": ModelPricing(inputPerMillion: 0.1, outputPerMillion: 0.4, cachedInputPerMillion: 0.025),
        "gpt-4o": ModelPricing(inputPerMillion: 2.5, outputPerMillion: 10.0, cachedInputPerMillion: 1.25),
        "gpt-4o-mini": ModelPricing(inputPerMillion: 0.15, outputPerMillion: 0.6, cachedInputPerMillion: 0.075),
        "gpt-5": ModelPricing(inputPerMillion: 1.25, outputPerMillion: 10.0, cachedInputPerMillion: 0.125),
        "gpt-5-mini": ModelPricing(inputPerMillion: 0.25, outputPerMillion: 2.0, cachedInputPerMillion: 0.025),
        "gpt-5-nano": ModelPricing(inputPerMillion: 0.05, outputPerMillion: 0.4, cachedInputPerMillion: 0.005),
        "o3": ModelPricing(inputPerMillion: 2.0, outputPerMillion: 8.0, cachedInputPerMillion: 0.5),
        "o4-mini": ModelPricing(inputPerMillion: 1.1, outputPerMillion: 4.4, cachedInputPerMillion: 0.275),
        "claude-opus-4-1": ModelPricing(inputPerMillion: 15.0, outputPerMillion: 75.0, cachedInputPerMillion: 1.5, cacheWritePerMillion: 18.75),
        "claude-opus-4": ModelPricing(inputPerMillion: 15.0, outputPerMillion: 75.0, cachedInputPerMillion: 1.5, cacheWritePerMillion: 18.75),
        "claude-sonnet-4-5": ModelPricing(inputPerMillion: 3.0, outputPerMillion: 15.0, cachedInputPerMillion: 0.3, cacheWritePerMillion: 3.75),
        "claude-sonnet-4": ModelPricing(inputPerMillion: 3.0, outputPerMillion: 15.0, cachedInputPerMillion: 0.3, cacheWritePerMillion: 3.75),
        "claude-3-7-sonnet": ModelPricing(inputPerMillion: 3.0, outputPerMillion: 15.0, cachedInputPerMillion: 0.3, cacheWritePerMillion: 3.75),
        "claude-haiku-4-5": ModelPricing(inputPerMillion: 1.0, outputPerMillion: 5.0, cachedInputPerMillion: 0.1, cacheWritePerMillion: 1.25),
        "claude-3-5-haiku": ModelPricing(inputPerMillion: 0.8, outputPerMillion: 4.0, cachedInputPerMillion: 0.08, cacheWritePerMillion: 1.0),
    ]

    /// The price of `model`: an exact entry, else the longest entry the name starts
    /// with (dated snapshots such as `claude-sonnet-4-5-20250929`), ignoring a vendor
    /// prefix such as `openai/` (OpenRouter's names).
    public func price(for model: String) -> ModelPricing? {
        let name = model.split(separator: "/").last.map(String.init) ?? model
        if let exact = prices[name] { return exact }
        let candidates = prices.keys.filter { name.hasPrefix($0 + "-") || name.hasPrefix($0 + "@") }
        return candidates.max(by: { $0.count < $1.count }).flatMap { prices[$0] }
    }

    /// Adds (or replaces) prices from a JSON file:
    /// `{"MODEL": {"input": 3, "output": 15, "cached_input": 0.3, "cache_write": 3.75}}`.
    public mutating func merge(file path: String) throws {
        let document: JSONValue
        do {
            document = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as JSONParseError {
            throw ModelError(.badRequest, "price file \(path): \(ErrorText.sentence(for: error))")
        } catch {
            throw ModelError(.badRequest, "cannot read the price file \(path): \(error.localizedDescription)")
        }
        guard let entries = document.objectValue else {
            throw ModelError(.badRequest, "price file \(path) must be a JSON object of model names to prices")
        }
        for (model, entry) in entries {
            guard let input = entry["input"]?.doubleValue, let output = entry["output"]?.doubleValue, input >= 0, output >= 0 else {
                throw ModelError(.badRequest, "price file \(path): \(model) needs non-negative numbers \"input\" and \"output\" ($ per million tokens)")
            }
            prices[model] = ModelPricing(
                inputPerMillion: input, outputPerMillion: output, cachedInputPerMillion: entry["cached_input"]?.doubleValue,
                cacheWritePerMillion: entry["cache_write"]?.doubleValue)
        }
    }
}
