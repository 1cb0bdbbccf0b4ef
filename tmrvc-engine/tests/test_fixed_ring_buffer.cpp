// FixedRingBuffer: FIFO order, capacity limits, copyLatest, wrap-around and block-size invariance.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tmrvc/fixed_ring_buffer.h"

namespace {

TEST(FixedRingBuffer, PushPopKeepsOrderAndLimits) {
    tmrvc::FixedRingBuffer<float> ring;
    ring.prepare(5);
    EXPECT_EQ(ring.capacity(), 5);
    const float in[7] = {1, 2, 3, 4, 5, 6, 7};
    EXPECT_EQ(ring.push(in, 7), 5);  // only the free space is stored
    EXPECT_EQ(ring.size(), 5);
    float out[7] = {};
    EXPECT_EQ(ring.pop(out, 3), 3);
    EXPECT_EQ(out[0], 1.0f);
    EXPECT_EQ(out[2], 3.0f);
    EXPECT_EQ(ring.push(in + 5, 2), 2);  // wraps around
    EXPECT_EQ(ring.pop(out, 7), 4);
    EXPECT_EQ(out[0], 4.0f);
    EXPECT_EQ(out[1], 5.0f);
    EXPECT_EQ(out[2], 6.0f);
    EXPECT_EQ(out[3], 7.0f);
    EXPECT_EQ(ring.size(), 0);
    EXPECT_EQ(ring.pop(out, 1), 0);
}

TEST(FixedRingBuffer, CopyLatestPadsWithZerosAndDoesNotPop) {
    tmrvc::FixedRingBuffer<float> ring;
    ring.prepare(4);
    const float in[6] = {1, 2, 3, 4, 5, 6};
    ring.push(in, 2);
    float latest[3] = {9, 9, 9};
    ring.copyLatest(latest, 3);
    EXPECT_EQ(latest[0], 0.0f);
    EXPECT_EQ(latest[1], 1.0f);
    EXPECT_EQ(latest[2], 2.0f);
    float out[2];
    ring.pop(out, 2);
    ring.push(in + 2, 4);  // 3 4 5 6, wrapped
    ring.copyLatest(latest, 3);
    EXPECT_EQ(latest[0], 4.0f);
    EXPECT_EQ(latest[2], 6.0f);
    EXPECT_EQ(ring.size(), 4);
    ring.pushZeros(3);  // full: nothing stored
    EXPECT_EQ(ring.size(), 4);
    ring.clear();
    ring.pushZeros(2);
    ring.copyLatest(latest, 3);
    EXPECT_EQ(latest[0], 0.0f);
    EXPECT_EQ(ring.size(), 2);
}

// The same stream pushed and popped in blocks of 1, 37, 256 and 4096 comes out identical.
TEST(FixedRingBuffer, BlockSizeInvariant) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> input(20000);
    for (float& v : input) v = dist(rng);
    std::vector<std::vector<float>> outputs;
    for (int block : {1, 37, 256, 4096}) {
        tmrvc::FixedRingBuffer<float> ring;
        ring.prepare(5000);
        ring.pushZeros(100);
        std::vector<float> out(input.size(), -5.0f);
        std::size_t pos = 0;
        while (pos < input.size()) {
            const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(block), input.size() - pos));
            ASSERT_EQ(ring.push(input.data() + pos, n), n);
            ASSERT_EQ(ring.pop(out.data() + pos, n), n);
            pos += static_cast<std::size_t>(n);
        }
        for (int i = 0; i < 100; ++i) ASSERT_EQ(out[static_cast<std::size_t>(i)], 0.0f);
        for (std::size_t i = 100; i < out.size(); ++i) ASSERT_EQ(out[i], input[i - 100]);
        outputs.push_back(out);
    }
    for (std::size_t k = 1; k < outputs.size(); ++k) EXPECT_EQ(outputs[k], outputs[0]);
}

}  // namespace
