// StftProcessor: analysis -> synthesis reconstructs the input delayed by one hop (SNR > 60 dB), the
// spectrum of a sine peaks at its bin, log-mel peaks in the right band and is floored on silence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/stft_processor.h"

namespace {

namespace c = tmrvc::constants;
constexpr double kPi = 3.14159265358979323846;

std::vector<float> frameAt(const std::vector<float>& x, int t) {
    std::vector<float> frame(c::kWindowLength, 0.0f);
    const int end = c::kHopLength * (t + 1);
    for (int i = 0; i < c::kWindowLength; ++i) {
        const int index = end - c::kWindowLength + i;
        if (index >= 0) frame[static_cast<std::size_t>(i)] = x[static_cast<std::size_t>(index)];
    }
    return frame;
}

TEST(StftProcessor, AnalysisSynthesisReconstructsWithOneHopDelay) {
    std::mt19937 rng(1);
    std::normal_distribution<float> noise(0.0f, 0.2f);
    const int frames = 100;
    std::vector<float> x(static_cast<std::size_t>(frames * c::kHopLength));
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = 0.5f * static_cast<float>(std::sin(2.0 * kPi * 330.0 * static_cast<double>(i) / c::kSampleRate)) +
               noise(rng);
    }
    tmrvc::StftProcessor stft;
    std::vector<float> mag(c::kNFreqBins), phase(c::kNFreqBins), out(x.size());
    for (int t = 0; t < frames; ++t) {
        const std::vector<float> frame = frameAt(x, t);
        stft.analyze(frame.data(), mag.data(), phase.data(), nullptr);
        stft.synthesize(mag.data(), phase.data(), out.data() + t * c::kHopLength);
    }
    double signal = 0.0;
    double error = 0.0;
    for (std::size_t j = c::kHopLength; j < out.size(); ++j) {
        const double ref = x[j - c::kHopLength];
        signal += ref * ref;
        error += (out[j] - ref) * (out[j] - ref);
    }
    for (int j = 0; j < c::kHopLength; ++j) EXPECT_NEAR(out[static_cast<std::size_t>(j)], 0.0f, 1e-6f);
    EXPECT_GT(10.0 * std::log10(signal / error), 60.0);
    stft.reset();  // after reset the accumulator is empty: a zero spectrum gives silence
    std::fill(mag.begin(), mag.end(), 0.0f);
    stft.synthesize(mag.data(), phase.data(), out.data());
    for (int j = 0; j < c::kHopLength; ++j) EXPECT_EQ(out[static_cast<std::size_t>(j)], 0.0f);
}

TEST(StftProcessor, SinePeaksAtItsBinAndMelBand) {
    const double bin = 100.0;  // exactly on bin 100
    const double f = bin * c::kSampleRate / c::kNFft;
    std::vector<float> frame(c::kWindowLength);
    for (int n = 0; n < c::kWindowLength; ++n) {
        frame[static_cast<std::size_t>(n)] = static_cast<float>(std::sin(2.0 * kPi * f * n / c::kSampleRate));
    }
    tmrvc::StftProcessor stft;
    std::vector<float> mag(c::kNFreqBins), phase(c::kNFreqBins), mel(c::kNMels);
    stft.analyze(frame.data(), mag.data(), phase.data(), mel.data());
    const auto peak = std::max_element(mag.begin(), mag.end()) - mag.begin();
    EXPECT_EQ(peak, 100);
    // Windowed sine of amplitude 1: peak magnitude close to sum(w) / 2 = 240 (bin offset from zero padding aside).
    EXPECT_GT(mag[100], 200.0f);
    EXPECT_LT(mag[100], 250.0f);
    // The loudest mel band contains the sine's frequency between its edges.
    const auto band = std::max_element(mel.begin(), mel.end()) - mel.begin();
    const double melOf = 2595.0 * std::log10(1.0 + f / 700.0);
    const double step = 2595.0 * std::log10(1.0 + c::kMelFmax / 700.0) / (c::kNMels + 1);
    EXPECT_NEAR(static_cast<double>(band) + 1.0, melOf / step, 1.0);

    std::vector<float> silence(c::kWindowLength, 0.0f);
    stft.analyze(silence.data(), mag.data(), phase.data(), mel.data());
    for (float v : mel) EXPECT_FLOAT_EQ(v, static_cast<float>(std::log(c::kLogFloor)));
}

}  // namespace
