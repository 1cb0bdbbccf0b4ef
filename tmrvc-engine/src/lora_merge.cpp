#include "tmrvc/lora_merge.h"

#include <cmath>

namespace tmrvc {

std::size_t LoraLayout::layerSize() const noexcept {
    if (rank <= 0 || dIn <= 0 || dOut <= 0) return 0;
    return static_cast<std::size_t>(rank) * static_cast<std::size_t>(dIn + dOut);
}

std::size_t LoraLayout::size() const noexcept { return layers.size() * layerSize(); }

std::string LoraLayout::validate() const {
    if (rank <= 0) return "LoRA rank must be > 0, got " + std::to_string(rank);
    if (dIn <= 0 || dOut <= 0)
        return "LoRA d_in/d_out must be > 0, got " + std::to_string(dIn) + "/" + std::to_string(dOut);
    if (!std::isfinite(alpha)) return "LoRA alpha is not finite";
    if (layers.empty()) return "LoRA layout names no layers";
    return {};
}

void mergeLoraLayer(const LoraLayout& layout, const float* base, const float* a, const float* b, float* out) noexcept {
    const std::size_t dIn = static_cast<std::size_t>(layout.dIn), dOut = static_cast<std::size_t>(layout.dOut);
    const std::size_t rank = static_cast<std::size_t>(layout.rank);
    const double scale = layout.scale();
    for (std::size_t o = 0; o < dOut; ++o) {
        const float* bRow = b + o * rank;
        for (std::size_t i = 0; i < dIn; ++i) {
            double acc = 0.0;
            for (std::size_t r = 0; r < rank; ++r) acc += static_cast<double>(bRow[r]) * a[r * dIn + i];
            out[o * dIn + i] = static_cast<float>(static_cast<double>(base[o * dIn + i]) + scale * acc);
        }
    }
}

std::string mergeLora(const LoraLayout& layout, const std::vector<FilmWeight>& base, const float* delta,
                      std::size_t deltaSize, std::vector<InitializerOverride>& out) {
    std::string err = layout.validate();
    if (!err.empty()) return err;
    if (deltaSize != layout.size())
        return "LoRA delta has " + std::to_string(deltaSize) + " values, the loaded models expect " +
               std::to_string(layout.size());
    if (base.size() != layout.layers.size())
        return "LoRA layout has " + std::to_string(layout.layers.size()) + " layers but " +
               std::to_string(base.size()) + " base FiLM weights were given";
    const std::size_t wSize = static_cast<std::size_t>(layout.dOut) * static_cast<std::size_t>(layout.dIn);
    for (std::size_t k = 0; k < deltaSize; ++k)
        if (!std::isfinite(delta[k])) return "LoRA delta value " + std::to_string(k) + " is not finite";
    std::vector<InitializerOverride> result(base.size());
    const std::size_t aSize = static_cast<std::size_t>(layout.rank) * static_cast<std::size_t>(layout.dIn);
    for (std::size_t l = 0; l < base.size(); ++l) {
        if (base[l].values.size() != wSize)
            return "base FiLM weight '" + base[l].name + "' has " + std::to_string(base[l].values.size()) +
                   " values, expected " + std::to_string(layout.dOut) + "x" + std::to_string(layout.dIn);
        const float* a = delta + l * layout.layerSize();
        result[l].name = base[l].name;
        result[l].shape = {layout.dOut, layout.dIn};
        result[l].values.resize(wSize);
        mergeLoraLayer(layout, base[l].values.data(), a, a + aSize, result[l].values.data());
    }
    out = std::move(result);
    return {};
}

}  // namespace tmrvc
