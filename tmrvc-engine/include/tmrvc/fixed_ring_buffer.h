// FixedRingBuffer: preallocated single-thread FIFO (input and output rings of the engine).
// prepare() allocates; every other member is real-time safe.
#pragma once

#include <algorithm>
#include <vector>

#include "tmrvc/realtime.h"

namespace tmrvc {

template <typename T>
class FixedRingBuffer {
public:
    // Allocates room for `capacity` elements and empties the ring.
    void prepare(int capacity) {
        data_.assign(static_cast<std::size_t>(std::max(capacity, 0)), T{});
        clear();
    }

    // Stores up to n elements (never more than the free space); returns how many were stored.
    int push(const T* src, int n) noexcept TMRVC_REALTIME {
        const int count = std::min(std::max(n, 0), capacity() - size_);
        int write = (read_ + size_) % std::max(capacity(), 1);
        for (int i = 0; i < count; ++i) {
            data_[static_cast<std::size_t>(write)] = src[i];
            write = write + 1 == capacity() ? 0 : write + 1;
        }
        size_ += count;
        return count;
    }

    // Stores up to n zeros (never more than the free space).
    void pushZeros(int n) noexcept TMRVC_REALTIME {
        const int count = std::min(std::max(n, 0), capacity() - size_);
        int write = (read_ + size_) % std::max(capacity(), 1);
        for (int i = 0; i < count; ++i) {
            data_[static_cast<std::size_t>(write)] = T{};
            write = write + 1 == capacity() ? 0 : write + 1;
        }
        size_ += count;
    }

    // Reads up to n elements, oldest first; returns how many were read.
    int pop(T* dst, int n) noexcept TMRVC_REALTIME {
        const int count = std::min(std::max(n, 0), size_);
        for (int i = 0; i < count; ++i) {
            dst[i] = data_[static_cast<std::size_t>(read_)];
            read_ = read_ + 1 == capacity() ? 0 : read_ + 1;
        }
        size_ -= count;
        if (size_ == 0) read_ = 0;
        return count;
    }

    // Drops up to n of the oldest elements; returns how many were dropped.
    int discard(int n) noexcept TMRVC_REALTIME {
        const int count = std::min(std::max(n, 0), size_);
        read_ = capacity() > 0 ? (read_ + count) % capacity() : 0;
        size_ -= count;
        if (size_ == 0) read_ = 0;
        return count;
    }

    // Copies the newest n elements, oldest first, without popping; zeros stand in where fewer exist.
    void copyLatest(T* dst, int n) const noexcept TMRVC_REALTIME {
        const int available = std::min(std::max(n, 0), size_);
        const int zeros = std::max(n, 0) - available;
        for (int i = 0; i < zeros; ++i) dst[i] = T{};
        if (available == 0) return;
        int index = (read_ + size_ - available) % capacity();
        for (int i = 0; i < available; ++i) {
            dst[zeros + i] = data_[static_cast<std::size_t>(index)];
            index = index + 1 == capacity() ? 0 : index + 1;
        }
    }

    int size() const noexcept { return size_; }
    int capacity() const noexcept { return static_cast<int>(data_.size()); }
    void clear() noexcept TMRVC_REALTIME {
        read_ = 0;
        size_ = 0;
    }

private:
    std::vector<T> data_;
    int read_ = 0;
    int size_ = 0;
};

}  // namespace tmrvc
