// TensorPool: one contiguous, cache-line-aligned, zeroed allocation holding every per-frame tensor of a model
// (inputs, outputs and both ping-pong state buffers). Allocated off the audio thread; slots never move until the
// next allocate().
#pragma once

#include <cstddef>
#include <vector>

namespace tmrvc {

class TensorPool {
public:
    static constexpr std::size_t kAlignment = 64;  // bytes; every slot starts on a cache line

    TensorPool() = default;
    ~TensorPool();
    TensorPool(const TensorPool&) = delete;
    TensorPool& operator=(const TensorPool&) = delete;
    TensorPool(TensorPool&& other) noexcept;
    TensorPool& operator=(TensorPool&& other) noexcept;

    // Replaces any previous allocation with one zeroed block of slots; counts are in floats.
    // Throws std::bad_alloc when memory is exhausted.
    void allocate(const std::vector<std::size_t>& counts);
    void release() noexcept;

    float* data(std::size_t slot) noexcept { return base_ + offsets_[slot]; }
    const float* data(std::size_t slot) const noexcept { return base_ + offsets_[slot]; }
    std::size_t size(std::size_t slot) const noexcept { return counts_[slot]; }
    std::size_t slotCount() const noexcept { return counts_.size(); }
    std::size_t totalBytes() const noexcept { return totalFloats_ * sizeof(float); }

private:
    float* base_ = nullptr;
    std::size_t totalFloats_ = 0;
    std::vector<std::size_t> offsets_;
    std::vector<std::size_t> counts_;
};

}  // namespace tmrvc
