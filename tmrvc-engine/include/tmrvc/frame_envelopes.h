// Harmonic and noise envelopes of one frame and their knot values: the speaker bank's values (docs/speaker-bank.md),
// the C++ twin of tmrvc_core.dsp.envelopes (same steps, float64 throughout, so the two agree to rounding).
//
// The converter writes features = log(e^H · comb(F0) + e^N). Read backwards on a frame of log magnitudes: H runs
// through the harmonic peaks, N through the valleys halfway between them (less what the neighbouring lobes still
// put there); an unvoiced frame is all noise (H = N = the frame smoothed over ±2 bins). The envelopes are then
// projected onto the converter's piecewise-linear knot basis by least squares. Off the audio thread (allocates).
#pragma once

#include <string>
#include <vector>

#include "tmrvc/constants.h"

namespace tmrvc {

// One frame's log magnitudes (logMag.size() bins) and F0 in Hz (0 = unvoiced) → H and N, one value per bin.
void frameEnvelopes(const std::vector<double>& logMag, double f0Hz, std::vector<double>& h, std::vector<double>& n);

// (n_knots × nBins) row-major hat functions: row j is 1 at knot j and falls linearly to 0 at its neighbours
// (constant beyond the first and last knot, as numpy.interp).
std::vector<double> knotBasis(const std::vector<double>& knotsHz, int nBins = constants::kNFreqBins);

class EnvelopeProjector {
public:
    // Builds the basis and the least-squares solve for these knots. "" on success, else what is wrong with them
    // (fewer than 2, not finite, not increasing).
    std::string prepare(const std::vector<double>& knotsHz, int nBins = constants::kNFreqBins);
    int knotCount() const noexcept { return static_cast<int>(knots_.size()); }
    int valueSize() const noexcept { return 2 * knotCount(); }

    // logMag: nBins natural-log magnitudes; f0Hz: 0 = unvoiced. Writes valueSize() floats: H knots, then N knots.
    void values(const std::vector<double>& logMag, double f0Hz, float* out);

private:
    std::vector<double> knots_;
    int nBins_ = 0;
    std::vector<double> solve_;  // (n_knots × nBins) row-major: (B Bᵀ)⁻¹ B, so knot values = solve_ · envelope
    std::vector<double> h_, n_;  // scratch
};

}  // namespace tmrvc
