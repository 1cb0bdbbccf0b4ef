// LoRA merge for the converter's FiLM projections (docs: onnx-contract.md, "LoRA delta").
// Delta layout: layer after layer, each A [rank, d_in] then B [d_out, rank], row-major.
// Merge: W' = W + (alpha / rank) * B @ A, computed in double and stored as float.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tmrvc/ort_model.h"

namespace tmrvc {

struct LoraLayout {
    int rank = 0;
    double alpha = 0.0;
    int dIn = 0;
    int dOut = 0;
    std::vector<int> layers;  // indices of the LoRA'd FiLM layers

    std::size_t layerSize() const noexcept;  // rank*dIn + dOut*rank
    std::size_t size() const noexcept;       // layers.size() * layerSize()
    double scale() const noexcept { return alpha / rank; }
    std::string validate() const;            // "" when usable, else what is wrong
};

// One base FiLM weight [dOut, dIn] (row-major) and the initializer name it overrides.
struct FilmWeight {
    std::string name;
    std::vector<float> values;
};

// Merges one layer: out = base + scale * B @ A, with a = A [rank, dIn], b = B [dOut, rank].
void mergeLoraLayer(const LoraLayout& layout, const float* base, const float* a, const float* b, float* out) noexcept;

// Builds the initializer overrides (one per base weight, in layout.layers order) from the delta.
// "" on success, else why (size mismatch, non-finite delta, base count/size mismatch).
std::string mergeLora(const LoraLayout& layout, const std::vector<FilmWeight>& base, const float* delta,
                      std::size_t deltaSize, std::vector<InitializerOverride>& out);

}  // namespace tmrvc
