// The speaker bank's envelope estimate (frame_envelopes.h): drawn back through the converter's harmonic-plus-noise
// formula, the (H, N) of a synthetic vowel give back its harmonic peaks and follow its formants; the knot
// projection is a least-squares fit (normal equations hold) that keeps an envelope the knots can hold exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/frame_envelopes.h"
#include "tmrvc/stft_processor.h"

namespace tmrvc {
namespace {

namespace c = constants;
constexpr double kPi = 3.14159265358979323846;
constexpr double kBinHz = static_cast<double>(c::kSampleRate) / c::kNFft;

// Harmonics of f0 up to 11 kHz shaped by two formants (700 Hz, 1800 Hz) and a tilt, plus a little noise.
std::vector<float> vowel(double f0, double seconds = 0.3) {
    const int n = static_cast<int>(seconds * c::kSampleRate);
    std::vector<double> x(static_cast<std::size_t>(n), 0.0);
    for (int h = 1; h < static_cast<int>(11000.0 / f0); ++h) {
        const double f = h * f0;
        const double db = -10 * std::log10(1 + std::pow((f - 700) / 150, 2)) -
                          6 * std::log10(1 + std::pow((f - 1800) / 200, 2)) - 3 * f / 1000;
        const double a = std::pow(10.0, db / 20);
        for (int i = 0; i < n; ++i) x[i] += a * std::cos(2 * kPi * f * i / c::kSampleRate + 0.3 * h * h);
    }
    double peak = 0.0;
    for (const double v : x) peak = std::max(peak, std::abs(v));
    std::mt19937 rng(0);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<float> out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = static_cast<float>(0.05 * x[i] / peak + 1e-4 * noise(rng));
    return out;
}

// Log magnitudes of causal frame t (samples [240(t+1) - 960, 240(t+1))), floored at feature_floor.
std::vector<double> logMagAt(const std::vector<float>& x, int t) {
    StftProcessor stft;
    std::vector<float> frame(c::kWindowLength), mag(c::kNFreqBins);
    const int end = c::kHopLength * (t + 1);
    for (int i = 0; i < c::kWindowLength; ++i) {
        const int j = end - c::kWindowLength + i;
        frame[i] = j >= 0 ? x[static_cast<std::size_t>(j)] : 0.0F;
    }
    stft.analyze(frame.data(), mag.data(), nullptr, nullptr);
    std::vector<double> out(c::kNFreqBins);
    for (int k = 0; k < c::kNFreqBins; ++k) out[k] = std::log(std::max(static_cast<double>(mag[k]), c::kFeatureFloor));
    return out;
}

// The converter's comb (harmonic.py): 1 at every harmonic, the window's main lobe around it, 0 between.
double comb(double freq, double f0) {
    const double unit = static_cast<double>(c::kSampleRate) / c::kWindowLength;
    auto lobe = [unit](double d) {
        const double cs = std::cos(std::min(std::abs(d) / unit, 2.0) * kPi / 4);
        return cs * cs;
    };
    const double u = freq / f0, below = std::floor(u), frac = u - below;
    return lobe(frac * f0) * (below >= 1 ? 1.0 : 0.0) + lobe((1 - frac) * f0);
}

double valueNear(const std::vector<double>& v, double hz) {
    return v[static_cast<std::size_t>(std::lround(hz / kBinHz))];
}

class VoicedFrame : public ::testing::TestWithParam<double> {};

TEST_P(VoicedFrame, EnvelopesGiveBackTheHarmonicPeaks) {
    const double f0 = GetParam();
    const std::vector<double> frame = logMagAt(vowel(f0), 20);
    std::vector<double> h, n;
    frameEnvelopes(frame, f0, h, n);
    ASSERT_EQ(h.size(), frame.size());
    ASSERT_EQ(n.size(), frame.size());
    for (std::size_t b = 0; b < h.size(); ++b) ASSERT_LE(n[b], h[b] + 1e-9) << "bin " << b;
    double sum = 0.0, worst = 0.0;
    int count = 0;
    for (int k = 1; k < static_cast<int>(8000.0 / f0); ++k) {
        const auto bin = static_cast<std::size_t>(std::lrint(k * f0 / kBinHz));
        const double harmonic = std::exp(h[bin]) * (comb(static_cast<double>(bin) * kBinHz, f0) + 1e-3);
        const double rebuilt = std::log(harmonic + std::exp(n[bin]));
        const double err = std::abs(rebuilt - frame[bin]);
        sum += err;
        worst = std::max(worst, err);
        ++count;
    }
    std::printf("F0 %.0f Hz: harmonic peaks rebuilt within %.3f nepers on average, worst %.3f\n", f0, sum / count,
                worst);
    EXPECT_LT(sum / count, 0.15);
    // The envelope follows the formants: the first formant sits well above the dip between the formants.
    EXPECT_GT(valueNear(h, 700.0), valueNear(h, 1250.0) + 0.5);
}

INSTANTIATE_TEST_SUITE_P(F0, VoicedFrame, ::testing::Values(80.0, 120.0, 220.0));

TEST(FrameEnvelopes, UnvoicedFramesAreSmoothedNoise) {
    std::mt19937 rng(1);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<double> frame(c::kNFreqBins);
    for (double& v : frame) v = std::log(std::abs(g(rng)) + 1e-3);
    std::vector<double> h, n;
    frameEnvelopes(frame, 0.0, h, n);
    EXPECT_EQ(h, n);
    auto roughness = [](const std::vector<double>& v) {
        double s = 0.0;
        for (std::size_t i = 1; i < v.size(); ++i) s += (v[i] - v[i - 1]) * (v[i] - v[i - 1]);
        return s;
    };
    EXPECT_LT(roughness(h), 0.5 * roughness(frame));
    // An F0 too high for two harmonics below the top is treated as unvoiced too.
    std::vector<double> h2, n2;
    frameEnvelopes(frame, 7000.0, h2, n2);
    EXPECT_EQ(h2, h);
}

const std::vector<double> kKnots = {0.0, 150.0, 300.0, 600.0, 1200.0, 2400.0, 4800.0, 9600.0, 12000.0};

TEST(KnotBasis, HatFunctionsSumToOne) {
    const std::vector<double> basis = knotBasis(kKnots);
    ASSERT_EQ(basis.size(), kKnots.size() * c::kNFreqBins);
    for (int b = 0; b < c::kNFreqBins; ++b) {
        double s = 0.0;
        for (std::size_t j = 0; j < kKnots.size(); ++j) s += basis[j * c::kNFreqBins + b];
        ASSERT_NEAR(s, 1.0, 1e-12) << "bin " << b;
    }
    EXPECT_DOUBLE_EQ(basis[0], 1.0);                                                    // knot 0 Hz at bin 0
    EXPECT_DOUBLE_EQ(basis[(kKnots.size() - 1) * c::kNFreqBins + c::kNFreqBins - 1], 1.0);  // 12 kHz at the top bin
    // Halfway between the knots 1200 and 2400 Hz (bin 76.8): both hats near one half.
    EXPECT_NEAR(basis[4 * c::kNFreqBins + 77], 1.0 - (77 * kBinHz - 1200.0) / 1200.0, 1e-12);
}

TEST(EnvelopeProjector, ConstantFramesGiveConstantKnots) {
    EnvelopeProjector p;
    ASSERT_EQ(p.prepare(kKnots), "");
    ASSERT_EQ(p.valueSize(), 2 * static_cast<int>(kKnots.size()));
    std::vector<float> v(static_cast<std::size_t>(p.valueSize()));
    p.values(std::vector<double>(c::kNFreqBins, -3.25), 0.0, v.data());
    for (const float x : v) EXPECT_NEAR(x, -3.25, 1e-6);
}

TEST(EnvelopeProjector, KnotValuesAreTheLeastSquaresFit) {
    EnvelopeProjector p;
    ASSERT_EQ(p.prepare(kKnots), "");
    const std::vector<double> basis = knotBasis(kKnots);
    const std::size_t nk = kKnots.size();
    const std::vector<double> frame = logMagAt(vowel(120.0), 20);
    std::vector<float> v(2 * nk);
    p.values(frame, 120.0, v.data());
    std::vector<double> h, n;
    frameEnvelopes(frame, 120.0, h, n);
    // Normal equations: the residual envelope - values · basis is orthogonal to every basis row.
    for (int which = 0; which < 2; ++which) {
        const std::vector<double>& env = which == 0 ? h : n;
        std::vector<double> residual(env);
        for (std::size_t j = 0; j < nk; ++j)
            for (int b = 0; b < c::kNFreqBins; ++b) residual[b] -= v[which * nk + j] * basis[j * c::kNFreqBins + b];
        for (std::size_t j = 0; j < nk; ++j) {
            double dot = 0.0, weight = 0.0;
            for (int b = 0; b < c::kNFreqBins; ++b) {
                dot += residual[b] * basis[j * c::kNFreqBins + b];
                weight += basis[j * c::kNFreqBins + b];
            }
            EXPECT_LT(std::abs(dot) / weight, 1e-5) << (which == 0 ? "H" : "N") << " knot " << j;
        }
    }
}

TEST(EnvelopeProjector, RefusesKnotsItCannotFit) {
    EnvelopeProjector p;
    EXPECT_NE(p.prepare({0.0}).find("at least 2"), std::string::npos);
    EXPECT_NE(p.prepare({0.0, 300.0, 200.0}).find("increasing"), std::string::npos);
    // Two knots inside one bin's gap above Nyquist leave one without a bin to fit it.
    EXPECT_NE(p.prepare({0.0, 13000.0, 13001.0}).find("no frequency bin"), std::string::npos);
}

}  // namespace
}  // namespace tmrvc
