// PolyphaseResampler: equals the direct formula y[m] = sum_i h[mM - iL] x[i], is block-size invariant,
// keeps a 1 kHz sine (frequency, amplitude, group delay), rejects a tone above 12 kHz, and validates input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/polyphase_resampler.h"

namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> runBlocks(int inRate, int outRate, const std::vector<float>& x, int block) {
    tmrvc::PolyphaseResampler r;
    EXPECT_EQ(r.prepare(inRate, outRate, block), "");
    std::vector<float> out;
    std::vector<float> buffer(static_cast<std::size_t>(r.maxOutput(block)));
    for (std::size_t pos = 0; pos < x.size(); pos += static_cast<std::size_t>(block)) {
        const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(block), x.size() - pos));
        const int written = r.process(x.data() + pos, n, buffer.data());
        EXPECT_LE(written, r.maxOutput(n));
        out.insert(out.end(), buffer.begin(), buffer.begin() + written);
    }
    return out;
}

std::vector<float> sine(double f, int rate, int n, double amplitude) {
    std::vector<float> x(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = static_cast<float>(amplitude * std::sin(2.0 * kPi * f * i / rate));
    return x;
}

TEST(PolyphaseResampler, MatchesDirectFormulaAndStreamingCount) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (auto [inRate, outRate] : {std::pair{48000, 24000}, {24000, 44100}, {44100, 24000}}) {
        std::vector<float> x(3001);
        for (float& v : x) v = dist(rng);
        const std::vector<float> y = runBlocks(inRate, outRate, x, 100);
        tmrvc::PolyphaseResampler r;
        ASSERT_EQ(r.prepare(inRate, outRate, 1), "");
        const std::int64_t L = r.up(), M = r.down();
        ASSERT_EQ(static_cast<std::int64_t>(y.size()), (static_cast<std::int64_t>(x.size()) * L + M - 1) / M);
        const auto& h = r.taps();
        for (std::size_t m = 0; m < y.size(); m += 7) {
            double expected = 0.0;
            for (std::int64_t i = 0; i < static_cast<std::int64_t>(x.size()); ++i) {
                const std::int64_t k = static_cast<std::int64_t>(m) * M - i * L;
                if (k >= 0 && k < static_cast<std::int64_t>(h.size())) expected += static_cast<double>(h[static_cast<std::size_t>(k)]) * x[static_cast<std::size_t>(i)];
            }
            ASSERT_NEAR(y[m], expected, 1e-6) << inRate << "->" << outRate << " m=" << m;
        }
    }
}

TEST(PolyphaseResampler, BlockSizeInvariant) {
    std::mt19937 rng(9);
    std::normal_distribution<float> dist(0.0f, 0.3f);
    std::vector<float> x(30000);
    for (float& v : x) v = dist(rng);
    for (auto [inRate, outRate] : {std::pair{48000, 24000}, {24000, 48000}, {44100, 24000}, {24000, 44100}}) {
        const std::vector<float> reference = runBlocks(inRate, outRate, x, 1);
        for (int block : {37, 256, 4096}) {
            EXPECT_EQ(runBlocks(inRate, outRate, x, block), reference) << inRate << "->" << outRate << " block " << block;
        }
    }
}

// Amplitude of frequency f in y (least squares fit of sin and cos) after skipping `skip` samples.
double amplitudeAt(const std::vector<float>& y, double f, int rate, std::size_t skip) {
    double ss = 0, sc = 0;
    std::size_t count = 0;
    for (std::size_t i = skip; i < y.size(); ++i, ++count) {
        ss += y[i] * std::sin(2.0 * kPi * f * static_cast<double>(i) / rate);
        sc += y[i] * std::cos(2.0 * kPi * f * static_cast<double>(i) / rate);
    }
    return 2.0 * std::sqrt(ss * ss + sc * sc) / static_cast<double>(count);
}

TEST(PolyphaseResampler, KeepsPassbandSineAlignedAndRejectsHighTone) {
    for (int host : {48000, 44100}) {
        tmrvc::PolyphaseResampler down, up;
        ASSERT_EQ(down.prepare(host, tmrvc::constants::kSampleRate, 512), "");
        ASSERT_EQ(up.prepare(tmrvc::constants::kSampleRate, host, 512), "");
        // Downsampling: 1 kHz sine keeps amplitude, delayed by hostDelay() host samples.
        const std::vector<float> x = sine(1000.0, host, host / 2, 0.5);
        const std::vector<float> y = runBlocks(host, tmrvc::constants::kSampleRate, x, 512);
        const double delay24 = static_cast<double>(down.hostDelay()) * tmrvc::constants::kSampleRate / host;
        double maxErr = 0.0;
        for (std::size_t m = 2000; m < y.size(); ++m) {
            const double expected = 0.5 * std::sin(2.0 * kPi * 1000.0 * (static_cast<double>(m) - delay24) / tmrvc::constants::kSampleRate);
            maxErr = std::max(maxErr, std::fabs(y[m] - expected));
        }
        EXPECT_LT(maxErr, 1e-3) << host;
        // Upsampling back: delayed by up.hostDelay() more host samples, same amplitude.
        const std::vector<float> z = runBlocks(tmrvc::constants::kSampleRate, host, y, 512);
        const double total = down.hostDelay() + up.hostDelay();
        maxErr = 0.0;
        for (std::size_t i = 4000; i < z.size(); ++i) {
            const double expected = 0.5 * std::sin(2.0 * kPi * 1000.0 * (static_cast<double>(i) - total) / host);
            maxErr = std::max(maxErr, std::fabs(z[i] - expected));
        }
        EXPECT_LT(maxErr, 2e-3) << host;
        // A 13 kHz tone (above 24 kHz Nyquist) is rejected by > 60 dB; its alias would sit at 11 kHz.
        const std::vector<float> high = sine(13000.0, host, host / 2, 0.5);
        const std::vector<float> yh = runBlocks(host, tmrvc::constants::kSampleRate, high, 512);
        EXPECT_LT(amplitudeAt(yh, 11000.0, tmrvc::constants::kSampleRate, 2000), 0.5e-3) << host;
    }
}

TEST(PolyphaseResampler, IdentityAndErrors) {
    tmrvc::PolyphaseResampler r;
    ASSERT_EQ(r.prepare(24000, 24000, 64), "");
    EXPECT_TRUE(r.isIdentity());
    EXPECT_EQ(r.hostDelay(), 0);
    const std::vector<float> x = sine(300.0, 24000, 64, 0.5);
    std::vector<float> y(64);
    EXPECT_EQ(r.process(x.data(), 64, y.data()), 64);
    EXPECT_EQ(y, x);
    EXPECT_NE(r.prepare(44101, 24000, 64), "");
    EXPECT_NE(r.prepare(0, 24000, 64), "");
    EXPECT_NE(r.prepare(48000, 24000, 0), "");
    ASSERT_EQ(r.prepare(96000, 24000, 64), "");
    EXPECT_EQ(r.hostDelay(), 96);
    EXPECT_EQ(r.taps().size(), 193u);
}

}  // namespace
