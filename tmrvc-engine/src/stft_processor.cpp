#include "tmrvc/stft_processor.h"

#include <kiss_fftr.h>
#include <kissfft.hh>

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>

namespace tmrvc {

namespace {

constexpr double kPi = 3.14159265358979323846;

double periodicHann(int n, int length) {
    return 0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(n) / static_cast<double>(length));
}

double hzToMel(double f) { return 2595.0 * std::log10(1.0 + f / 700.0); }
double melToHz(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }

}  // namespace

// Analysis runs in float64 (kissfft's header-only template; Debian ships the C library in float only): the
// models see log-mel, and a float32 FFT's rounding (~1e-7 of the frame's peak) is 1e-2 nepers in quiet mel bands,
// which trained models amplify to a 60 dB difference from the float64 reference. Synthesis stays float32.
struct StftProcessor::FftWork {
    kiss_fftr_cfg inverse = nullptr;
    kissfft<double> forward;  // complex FFT of kNFft / 2: transform_real packs the real FFT of kNFft into it
    std::vector<double> time64;  // kNFft
    std::vector<std::complex<double>> spectrum64;  // kNFft / 2; [0] holds DC (real) and Nyquist (imag)
    std::vector<double> mag64;  // kNFreqBins: |bin|, computed once per frame for both the magnitude and the mel
    std::vector<kiss_fft_scalar> time;  // kNFft
    std::vector<kiss_fft_cpx> spectrum;  // kNFreqBins

    FftWork()
        : inverse(kiss_fftr_alloc(constants::kNFft, 1, nullptr, nullptr)),
          forward(constants::kNFft / 2, false),
          time64(constants::kNFft, 0.0),
          spectrum64(constants::kNFft / 2),
          mag64(constants::kNFreqBins, 0.0),
          time(constants::kNFft, 0.0f),
          spectrum(constants::kNFreqBins) {
        if (inverse == nullptr)
            throw std::runtime_error("StftProcessor: kissfft could not allocate a real FFT of size 1024");
    }
    ~FftWork() { kiss_fftr_free(inverse); }

    // Bin k of the float64 analysis, k = 0 .. kNFft / 2.
    std::complex<double> bin(int k) const noexcept {
        if (k == 0) return {spectrum64[0].real(), 0.0};
        if (k == constants::kNFft / 2) return {spectrum64[0].imag(), 0.0};
        return spectrum64[static_cast<std::size_t>(k)];
    }
    FftWork(const FftWork&) = delete;
    FftWork& operator=(const FftWork&) = delete;
};

StftProcessor::StftProcessor()
    : fft_(std::make_unique<FftWork>()),
      analysisWindow_(constants::kWindowLength),
      analysisWindow64_(constants::kWindowLength),
      synthesisWindow_(constants::kWindowLength, 0.0f),
      mel_(constants::kNMels),
      accumulator_(constants::kSynthesisWindowLength, 0.0f) {
    constexpr int kTailStart = constants::kWindowLength - constants::kSynthesisWindowLength;
    static_assert(constants::kSynthesisWindowLength % constants::kHopLength == 0, "the tail is whole hops");
    for (int n = 0; n < constants::kWindowLength; ++n) {
        const double w = periodicHann(n, constants::kWindowLength);
        analysisWindow_[static_cast<std::size_t>(n)] = static_cast<float>(w);
        analysisWindow64_[static_cast<std::size_t>(n)] = w;
    }
    // Weighted least-squares overlap-add over the tail (docs/dsp-and-streaming.md, "Synthesis"):
    // s = h w / sum(h w^2) over the tail positions that land on the same output sample.
    auto tailWeight = [this](int n) {  // h w at window index n >= kTailStart
        return periodicHann(n - kTailStart, constants::kSynthesisWindowLength) * analysisWindow64_[static_cast<std::size_t>(n)];
    };
    for (int m = 0; m < constants::kHopLength; ++m) {
        double norm = 0.0;
        for (int n = kTailStart + m; n < constants::kWindowLength; n += constants::kHopLength)
            norm += tailWeight(n) * analysisWindow64_[static_cast<std::size_t>(n)];
        for (int n = kTailStart + m; n < constants::kWindowLength; n += constants::kHopLength)
            synthesisWindow_[static_cast<std::size_t>(n)] = static_cast<float>(tailWeight(n) / norm);
    }
    // Mel points equally spaced in HTK mel, triangles with peak 1 (float64 design).
    std::vector<double> points(constants::kNMels + 2);
    const double melLow = hzToMel(constants::kMelFmin);
    const double melHigh = hzToMel(constants::kMelFmax);
    for (int i = 0; i < constants::kNMels + 2; ++i) {
        const double fraction = static_cast<double>(i) / static_cast<double>(constants::kNMels + 1);
        points[static_cast<std::size_t>(i)] = melToHz(melLow + (melHigh - melLow) * fraction);
    }
    for (int m = 0; m < constants::kNMels; ++m) {
        const double lower = points[static_cast<std::size_t>(m)];
        const double centre = points[static_cast<std::size_t>(m) + 1];
        const double upper = points[static_cast<std::size_t>(m) + 2];
        MelBand& band = mel_[static_cast<std::size_t>(m)];
        band.first = -1;
        for (int k = 0; k < constants::kNFreqBins; ++k) {
            const double f = static_cast<double>(k) * constants::kSampleRate / constants::kNFft;
            const double weight = std::max(0.0, std::min((f - lower) / (centre - lower), (upper - f) / (upper - centre)));
            if (weight > 0.0) {
                if (band.first < 0) band.first = k;
                band.weights.resize(static_cast<std::size_t>(k - band.first) + 1, 0.0);
                band.weights.back() = weight;
            }
        }
        if (band.first < 0) band.first = 0;
    }
}

StftProcessor::~StftProcessor() = default;

void StftProcessor::analyze(const float* frame, float* mag, float* phase, float* logMel) noexcept {
    FftWork& work = *fft_;
    for (int n = 0; n < constants::kWindowLength; ++n) {
        const auto i = static_cast<std::size_t>(n);
        work.time64[i] = static_cast<double>(frame[n]) * analysisWindow64_[i];
    }
    std::fill(work.time64.begin() + constants::kWindowLength, work.time64.end(), 0.0);
    work.forward.transform_real(work.time64.data(), work.spectrum64.data());
    for (int k = 0; k < constants::kNFreqBins; ++k) {
        const std::complex<double> bin = work.bin(k);
        const double m = std::abs(bin);
        work.mag64[static_cast<std::size_t>(k)] = m;
        if (mag != nullptr) mag[k] = static_cast<float>(m);
        if (phase != nullptr) phase[k] = static_cast<float>(std::atan2(bin.imag(), bin.real()));
    }
    if (logMel == nullptr) return;
    for (int m = 0; m < constants::kNMels; ++m) {
        const MelBand& band = mel_[static_cast<std::size_t>(m)];
        double sum = 0.0;
        for (std::size_t j = 0; j < band.weights.size(); ++j)
            sum += band.weights[j] * work.mag64[static_cast<std::size_t>(band.first) + j];
        logMel[m] = static_cast<float>(std::log(std::max(sum, constants::kLogFloor)));
    }
}

void StftProcessor::synthesize(const float* mag, const float* phase, float* out) noexcept {
    FftWork& work = *fft_;
    for (int k = 0; k < constants::kNFreqBins; ++k) {
        kiss_fft_cpx& bin = work.spectrum[static_cast<std::size_t>(k)];
        bin.r = mag[k] * std::cos(phase[k]);
        bin.i = mag[k] * std::sin(phase[k]);
    }
    // irfft ignores the imaginary part of DC and Nyquist, as numpy.fft.irfft does.
    work.spectrum.front().i = 0.0f;
    work.spectrum.back().i = 0.0f;
    kiss_fftri(work.inverse, work.spectrum.data(), work.time.data());
    constexpr int kTailStart = constants::kWindowLength - constants::kSynthesisWindowLength;
    constexpr float kScale = 1.0f / static_cast<float>(constants::kNFft);
    for (int n = 0; n < constants::kSynthesisWindowLength; ++n) {
        const auto index = static_cast<std::size_t>(kTailStart + n);
        accumulator_[static_cast<std::size_t>(n)] += work.time[index] * kScale * synthesisWindow_[index];
    }
    std::copy(accumulator_.begin(), accumulator_.begin() + constants::kHopLength, out);
    std::copy(accumulator_.begin() + constants::kHopLength, accumulator_.end(), accumulator_.begin());
    std::fill(accumulator_.end() - constants::kHopLength, accumulator_.end(), 0.0f);
}

void StftProcessor::reset() noexcept { std::fill(accumulator_.begin(), accumulator_.end(), 0.0f); }

}  // namespace tmrvc
