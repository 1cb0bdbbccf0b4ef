// StftProcessor: causal STFT, log-mel, and iSTFT + overlap-add with the asymmetric synthesis window.
// Definitions: docs/dsp-and-streaming.md ("Framing", "Magnitude and log-mel", "Synthesis").
#pragma once

#include <memory>
#include <vector>

#include "tmrvc/constants.h"

namespace tmrvc {

class StftProcessor {
public:
    // Builds the kissfft plans (float64 analysis, float32 synthesis; real FFTs of kNFft), the windows and the mel
    // filterbank (float64 design).
    StftProcessor();
    ~StftProcessor();
    StftProcessor(const StftProcessor&) = delete;
    StftProcessor& operator=(const StftProcessor&) = delete;

    // analyze/synthesize/reset are real-time safe (no allocation; kissfft works out of place on preallocated
    // buffers) but carry no TMRVC_REALTIME: kissfft's C functions are not annotated for Clang's checker.
    // frame: kWindowLength samples, oldest first. Writes kNFreqBins magnitudes and phases (radians) and
    // kNMels natural-log mel values (floored at kLogFloor). Any output pointer may be null to skip it.
    void analyze(const float* frame, float* mag, float* phase, float* logMel) noexcept;
    // One hop of iSTFT + overlap-add: writes kHopLength finished samples.
    void synthesize(const float* mag, const float* phase, float* out) noexcept;
    // Zeroes the overlap-add accumulator.
    void reset() noexcept;

    const std::vector<float>& analysisWindow() const noexcept { return analysisWindow_; }
    const std::vector<float>& synthesisWindow() const noexcept { return synthesisWindow_; }

private:
    struct MelBand {
        int first = 0;                // first non-zero bin
        std::vector<double> weights;  // weights of bins first, first + 1, ...
    };

    struct FftWork;  // kissfft plans and complex buffers (stft_processor.cpp)

    std::unique_ptr<FftWork> fft_;
    std::vector<float> analysisWindow_;   // kWindowLength
    std::vector<double> analysisWindow64_;  // the same in float64, for the float64 analysis
    std::vector<float> synthesisWindow_;  // kWindowLength (zero on the first half)
    std::vector<MelBand> mel_;            // kNMels
    std::vector<float> accumulator_;      // kSynthesisWindowLength
};

}  // namespace tmrvc
