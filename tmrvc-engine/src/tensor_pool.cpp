#include "tmrvc/tensor_pool.h"

#include <cstring>
#include <new>
#include <utility>

namespace tmrvc {

namespace {
constexpr std::size_t kFloatsPerLine = TensorPool::kAlignment / sizeof(float);
}

TensorPool::~TensorPool() { release(); }

TensorPool::TensorPool(TensorPool&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      totalFloats_(std::exchange(other.totalFloats_, 0)),
      offsets_(std::move(other.offsets_)),
      counts_(std::move(other.counts_)) {}

TensorPool& TensorPool::operator=(TensorPool&& other) noexcept {
    if (this != &other) {
        release();
        base_ = std::exchange(other.base_, nullptr);
        totalFloats_ = std::exchange(other.totalFloats_, 0);
        offsets_ = std::move(other.offsets_);
        counts_ = std::move(other.counts_);
    }
    return *this;
}

void TensorPool::allocate(const std::vector<std::size_t>& counts) {
    release();
    std::vector<std::size_t> offsets(counts.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        offsets[i] = total;
        total += (counts[i] + kFloatsPerLine - 1) / kFloatsPerLine * kFloatsPerLine;
    }
    if (total == 0) total = kFloatsPerLine;
    base_ = static_cast<float*>(::operator new(total * sizeof(float), std::align_val_t{kAlignment}));
    std::memset(base_, 0, total * sizeof(float));
    totalFloats_ = total;
    offsets_ = std::move(offsets);
    counts_ = counts;
}

void TensorPool::release() noexcept {
    if (base_ != nullptr) ::operator delete(base_, std::align_val_t{kAlignment});
    base_ = nullptr;
    totalFloats_ = 0;
    offsets_.clear();
    counts_.clear();
}

}  // namespace tmrvc
