// SpscQueue: lock-free single-producer/single-consumer FIFO of trivially copyable values, preallocated.
// prepare() allocates (never concurrently with use); push/pop are wait-free and never allocate. A full queue
// refuses what does not fit (push returns how many it stored) and the caller counts the drop.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace tmrvc {

template <typename T>
class SpscQueue {
    static_assert(std::is_trivially_copyable_v<T>, "SpscQueue holds trivially copyable values");

public:
    void prepare(int capacity) {
        data_.assign(static_cast<std::size_t>(std::max(capacity, 1)) + 1, T{});
        head_.store(0);
        tail_.store(0);
    }
    int capacity() const noexcept { return static_cast<int>(data_.size()) - 1; }

    // Producer side.
    int push(const T* src, int n) noexcept {
        const std::size_t size = data_.size();
        const std::size_t tail = tail_.load(std::memory_order_relaxed);
        const std::size_t head = head_.load(std::memory_order_acquire);
        const std::size_t free = (head + size - tail - 1) % size;
        const std::size_t count = std::min(free, static_cast<std::size_t>(std::max(n, 0)));
        const std::size_t first = std::min(count, size - tail);
        for (std::size_t i = 0; i < first; ++i) data_[tail + i] = src[i];
        for (std::size_t i = first; i < count; ++i) data_[i - first] = src[i];
        tail_.store((tail + count) % size, std::memory_order_release);
        return static_cast<int>(count);
    }
    bool tryPush(const T& value) noexcept { return push(&value, 1) == 1; }

    // Consumer side.
    int pop(T* dst, int n) noexcept {
        const std::size_t size = data_.size();
        const std::size_t head = head_.load(std::memory_order_relaxed);
        const std::size_t tail = tail_.load(std::memory_order_acquire);
        const std::size_t used = (tail + size - head) % size;
        const std::size_t count = std::min(used, static_cast<std::size_t>(std::max(n, 0)));
        const std::size_t first = std::min(count, size - head);
        if (dst != nullptr) {
            for (std::size_t i = 0; i < first; ++i) dst[i] = data_[head + i];
            for (std::size_t i = first; i < count; ++i) dst[i] = data_[i - first];
        }
        head_.store((head + count) % size, std::memory_order_release);
        return static_cast<int>(count);
    }
    bool tryPop(T& value) noexcept { return pop(&value, 1) == 1; }

    // Either side (a snapshot).
    int size() const noexcept {
        const std::size_t size = data_.size();
        return static_cast<int>((tail_.load(std::memory_order_acquire) + size - head_.load(std::memory_order_acquire)) % size);
    }

private:
    std::vector<T> data_;
    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace tmrvc
