// PitchTracker: sine and sawtooth F0 within 1 %, silence and white noise unvoiced, window validation,
// and the model input log(f0 * 2^(s/12) + 1).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/pitch_tracker.h"

namespace {

namespace c = tmrvc::constants;
constexpr double kPi = 3.14159265358979323846;

std::vector<float> tone(double f0, bool sawtooth, int length) {
    std::vector<float> x(static_cast<std::size_t>(length));
    for (int n = 0; n < length; ++n) {
        const double phase = f0 * n / c::kSampleRate;
        x[static_cast<std::size_t>(n)] = static_cast<float>(
            sawtooth ? 0.5 * (2.0 * (phase - std::floor(phase)) - 1.0) : 0.5 * std::sin(2.0 * kPi * phase));
    }
    return x;
}

TEST(PitchTracker, SineAndSawtoothWithinOnePercent) {
    tmrvc::PitchTracker tracker;
    for (double f0 : {82.0, 110.0, 220.0, 261.6, 440.0, 777.0}) {
        for (bool saw : {false, true}) {
            const std::vector<float> x = tone(f0, saw, c::kF0WindowLength);
            const float estimate = tracker.estimate(x.data());
            EXPECT_NEAR(estimate, f0, 0.01 * f0) << "f0 " << f0 << (saw ? " sawtooth" : " sine");
        }
    }
}

TEST(PitchTracker, SilenceAndNoiseAreUnvoiced) {
    tmrvc::PitchTracker tracker;
    std::vector<float> silence(c::kF0WindowLength, 0.0f);
    EXPECT_EQ(tracker.estimate(silence.data()), 0.0f);
    std::vector<float> quiet = tone(200.0, false, c::kF0WindowLength);
    for (float& v : quiet) v *= 1e-5f;  // RMS below f0_silence_rms
    EXPECT_EQ(tracker.estimate(quiet.data()), 0.0f);
    std::mt19937 rng(11);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    for (int trial = 0; trial < 5; ++trial) {
        std::vector<float> x(c::kF0WindowLength);
        for (float& v : x) v = noise(rng);
        EXPECT_EQ(tracker.estimate(x.data()), 0.0f) << trial;
    }
}

TEST(PitchTracker, WindowLengthValidation) {
    EXPECT_THROW(tmrvc::PitchTracker(tmrvc::PitchTracker::tauMax()), std::invalid_argument);
    tmrvc::PitchTracker longer(1920);
    EXPECT_EQ(longer.windowLength(), 1920);
    const std::vector<float> x = tone(150.0, false, 1920);
    EXPECT_NEAR(longer.estimate(x.data()), 150.0f, 1.5f);
}

TEST(PitchTracker, ModelInputAndShift) {
    EXPECT_EQ(tmrvc::f0ToModelInput(0.0f, 5.0f), 0.0f);
    EXPECT_NEAR(tmrvc::f0ToModelInput(200.0f, 0.0f), std::log(201.0), 1e-6);
    EXPECT_NEAR(tmrvc::f0ToModelInput(200.0f, 12.0f), std::log(401.0), 1e-5);  // +12 semitones doubles f0
    EXPECT_NEAR(tmrvc::f0ToModelInput(200.0f, -12.0f), std::log(101.0), 1e-5);
}

}  // namespace
