// The speaker bank of an enrolment (docs/speaker-bank.md), the C++ twin of tmrvc_train/enroll_bank.py: the model
// folder's content_encoder.onnx run hop by hop from a zero state over each clip gives the keys (content without
// its F0 channel), the clip's log magnitudes log(max(mag, feature_floor)) and YIN F0 give the values (H and N
// knots, frame_envelopes.h). Frames whose largest magnitude is at most 10 × feature_floor (digital silence) are
// left out; more than bank_frames frames are thinned evenly over the whole enrolment; keys are L2-normalised.
// Off the audio thread (allocates, runs ONNX Runtime once per hop).
#pragma once

#include <string>
#include <vector>

#include "tmrvc/frame_envelopes.h"
#include "tmrvc/model_folder.h"
#include "tmrvc/ort_model.h"

namespace tmrvc {

struct EnrolmentBank {
    int frames = 0;
    int keySize = 0;
    int valueSize = 0;
    std::vector<float> keys;    // [frames, keySize], rows L2-normalised
    std::vector<float> values;  // [frames, valueSize], H knots then N knots
};

class EnrolmentBankBuilder {
public:
    // Loads content_encoder.onnx and the knot projection of a folder whose models have a bank
    // (info.bank.present). "" on success, else what to fix.
    std::string prepare(const ModelFolderInfo& info, int intraOpThreads = 1);

    // Starts a clip: the content encoder's state back to zero, as at the start of a stream.
    void startClip() noexcept;
    // One hop of the current clip: log-mel (kNMels, StftProcessor), F0 in Hz (0 = unvoiced, PitchTracker) and
    // magnitudes (kNFreqBins). "" or the ONNX Runtime error.
    std::string addHop(const float* logMel, float f0Hz, const float* mag);
    int framesKept() const noexcept { return kept_; }

    // The bank of every hop added so far: thinned, keys normalised. "" or why there is no bank (too little sound).
    std::string finish(EnrolmentBank& out) const;

private:
    OrtModel content_;
    EnvelopeProjector projector_;
    int melIn_ = -1, f0In_ = -1, contentOut_ = -1;
    int frames_ = 0;     // bank slots (bank_frames)
    int valueSize_ = 0;
    int kept_ = 0;
    std::vector<float> keys_;    // [kept_, kBankKeySize], not yet normalised
    std::vector<float> values_;  // [kept_, valueSize_]
    std::vector<double> logMag_;
};

}  // namespace tmrvc
