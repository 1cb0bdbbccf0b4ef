// Zero-shot enrolment without PyTorch (docs: onnx-contract.md, ".tmrvc_speaker"): clips (float samples at any
// rate) → 24 kHz (PolyphaseResampler) → log-mel and YIN F0 per hop (StftProcessor, PitchTracker: the same DSP as
// tmrvc_core.dsp) → speaker_encoder.onnx per clip (first kSpeakerMaxSeconds) → mean embedding (L2-normalised) and
// mean zero-shot lora_delta → F0 statistics → the speaker bank (enrolment_bank.h: content_encoder.onnx once per
// hop, the slow part) when the models have one → `.tmrvc_speaker` bytes (v3 with a bank, v2 without). The same
// steps as `tmrvc-enroll --zero-shot` (tmrvc_train/enroll_zero_shot.py). Runs off the audio thread (allocates,
// runs ORT).
// Never throws; failures are returned as messages that say what to fix.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/enrolment_bank.h"

namespace tmrvc {

struct EnrolmentClip {
    std::vector<float> samples;  // mono
    int sampleRate = 0;
};

struct ZeroShotEnrolment {
    bool ok = false;
    std::string error;               // why it failed ("" when ok)
    std::vector<float> embedding;    // [d_speaker], L2-normalised
    std::vector<float> loraDelta;    // [lora size]
    double f0LogMean = 0.0;
    double f0LogStd = 0.0;
    double totalSeconds = 0.0;
    int nUtterances = 0;
    std::string metadataJson;
    EnrolmentBank bank;                   // frames == 0: no bank (models without one, or withBank false)
    std::vector<std::uint8_t> fileBytes;  // the whole `.tmrvc_speaker` file
};

// Progress: fraction done in [0, 1]; return false to cancel (the result is then an error "cancelled").
using EnrolmentProgress = std::function<bool(double fraction)>;

inline constexpr double kEnrolMinTotalSeconds = constants::kEnrolMinTotalSeconds;
inline constexpr int kEnrolMinUtterances = constants::kEnrolMinUtterances;
inline constexpr int kEnrolMaxUtterances = constants::kEnrolMaxUtterances;

// createdAt: ISO-8601 UTC ("" = now). intraOpThreads: ONNX Runtime threads for the speaker and content
// encoders. withBank false: no speaker bank even when the models have one (`tmrvc-enroll --no-bank`).
// Progress and cancel cover the bank step (checked every few dozen hops).
ZeroShotEnrolment enrolZeroShot(const std::string& modelDir, const std::vector<EnrolmentClip>& clips,
                                const std::string& name, const std::string& createdAt = "",
                                const EnrolmentProgress& progress = {}, int intraOpThreads = 1,
                                bool withBank = true);

// `.tmrvc_speaker` writer: header, floats, JSON, SHA-256; version 3 when bank has frames, else version 2. The
// bytes parseSpeakerFile() reads back.
std::vector<std::uint8_t> encodeSpeakerFile(const std::vector<float>& embedding, const std::vector<float>& loraDelta,
                                            const std::string& metadataJson, const EnrolmentBank* bank = nullptr);

// Writes bytes to path through a temporary file and a rename, so a reader never sees half a file; creates the
// parent folder. "" on success.
std::string writeFileAtomically(const std::string& path, const std::vector<std::uint8_t>& bytes);

// The UTC time now as "YYYY-MM-DDTHH:MM:SSZ".
std::string utcNowIso8601();

}  // namespace tmrvc
