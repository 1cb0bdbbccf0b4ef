// Zero-shot enrolment (see zero_shot_enroller.h); the speaker bank is enrolment_bank.cpp's. Framing follows
// tmrvc_core.dsp.stft.frames: frame t holds the samples [240(t+1) - L, 240(t+1)) with zeros before the start,
// T = n / 240 frames.
#include "tmrvc/zero_shot_enroller.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tmrvc/constants.h"
#include "tmrvc/model_folder.h"
#include "tmrvc/ort_model.h"
#include "tmrvc/pitch_tracker.h"
#include "tmrvc/polyphase_resampler.h"
#include "tmrvc/speaker_file.h"
#include "tmrvc/stft_processor.h"

namespace tmrvc {
namespace {

namespace c = constants;

ZeroShotEnrolment failure(std::string message) {
    ZeroShotEnrolment r;
    r.error = std::move(message);
    return r;
}

std::string resampleTo24k(const EnrolmentClip& clip, std::vector<float>& out) {
    if (clip.sampleRate == c::kSampleRate) {
        out = clip.samples;
        return "";
    }
    PolyphaseResampler rs;
    const int n = static_cast<int>(clip.samples.size());
    if (std::string err = rs.prepare(clip.sampleRate, c::kSampleRate, std::max(1, n)); !err.empty()) return err;
    out.assign(static_cast<std::size_t>(rs.maxOutput(n)), 0.0F);
    out.resize(static_cast<std::size_t>(rs.process(clip.samples.data(), n, out.data())));
    return "";
}

// Frame t of x with length L (zeros before the start), as tmrvc_core.dsp.stft.frames.
void frameAt(const std::vector<float>& x, int t, int length, std::vector<float>& frame) {
    const long end = static_cast<long>(c::kHopLength) * (t + 1);
    for (int i = 0; i < length; ++i) {
        const long j = end - length + i;
        frame[static_cast<std::size_t>(i)] = j >= 0 ? x[static_cast<std::size_t>(j)] : 0.0F;
    }
}

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    for (const unsigned char ch : s) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += static_cast<char>(ch);
        } else if (ch < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", ch);
            out += buf;
        } else {
            out += static_cast<char>(ch);
        }
    }
    return out + "\"";
}

std::string jsonNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

std::string utcNowIso8601() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::vector<std::uint8_t> encodeSpeakerFile(const std::vector<float>& embedding, const std::vector<float>& loraDelta,
                                            const std::string& metadataJson, const EnrolmentBank* bank) {
    const bool withBank = bank != nullptr && bank->frames > 0;
    std::vector<std::uint8_t> out;
    auto u32 = [&out](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    auto floats = [&out, &u32](const std::vector<float>& v) {
        for (const float f : v) {
            std::uint32_t bits = 0;
            std::memcpy(&bits, &f, sizeof bits);
            u32(bits);
        }
    };
    out.insert(out.end(), {'T', 'M', 'S', 'P'});
    u32(withBank ? kSpeakerFileBankVersion : kSpeakerFileVersion);
    u32(static_cast<std::uint32_t>(embedding.size()));
    u32(static_cast<std::uint32_t>(loraDelta.size()));
    u32(static_cast<std::uint32_t>(metadataJson.size()));
    if (withBank) {
        u32(static_cast<std::uint32_t>(bank->frames));
        u32(static_cast<std::uint32_t>(bank->keySize));
        u32(static_cast<std::uint32_t>(bank->valueSize));
    }
    floats(embedding);
    floats(loraDelta);
    if (withBank) {
        floats(bank->keys);
        floats(bank->values);
    }
    out.insert(out.end(), metadataJson.begin(), metadataJson.end());
    const auto digest = sha256(out.data(), out.size());
    out.insert(out.end(), digest.begin(), digest.end());
    return out;
}

std::string writeFileAtomically(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path target(path);
    if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
    if (ec) return "cannot create folder " + target.parent_path().string() + ": " + ec.message();
    const fs::path tmp = target.string() + ".part";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) return "cannot write " + tmp.string() + " (check the folder is writable)";
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!f) return "write failed for " + tmp.string() + " (disk full?)";
    }
    fs::rename(tmp, target, ec);
    if (ec) return "cannot rename " + tmp.string() + " to " + target.string() + ": " + ec.message();
    return "";
}

ZeroShotEnrolment enrolZeroShot(const std::string& modelDir, const std::vector<EnrolmentClip>& clips,
                                const std::string& name, const std::string& createdAt,
                                const EnrolmentProgress& progress, int intraOpThreads, bool withBank) {
    try {
        const ModelFolderCheck folder = checkModelFolder(modelDir);
        if (!folder.ok()) return failure("enrolment: model folder " + modelDir + ":\n" + folder.message());
        if (!folder.info.hasSpeakerEncoder)
            return failure("enrolment: " + modelDir + " has no speaker_encoder.onnx (export the folder with it)");
        const std::int64_t loraSize = static_cast<std::int64_t>(folder.info.lora.size());
        const int nClips = static_cast<int>(clips.size());
        std::vector<std::vector<float>> audio(clips.size());
        double total = 0.0;
        for (int i = 0; i < nClips; ++i) {
            if (clips[i].sampleRate <= 0)
                return failure("enrolment: clip " + std::to_string(i) + " has no sample rate");
            if (std::string err = resampleTo24k(clips[i], audio[i]); !err.empty())
                return failure("enrolment: clip " + std::to_string(i) + ": " + err);
            total += static_cast<double>(audio[i].size()) / c::kSampleRate;
        }
        if (nClips > kEnrolMaxUtterances || (nClips < kEnrolMinUtterances && total < kEnrolMinTotalSeconds)) {
            char msg[200];
            std::snprintf(msg, sizeof msg,
                          "enrolment: expected %d–%d utterances or at least %.0f s of audio, got %d utterances, "
                          "%.1f s",
                          kEnrolMinUtterances, kEnrolMaxUtterances, kEnrolMinTotalSeconds, nClips, total);
            return failure(msg);
        }
        OrtModel encoder;
        OrtModelOptions options;
        options.intraOpThreads = std::max(1, intraOpThreads);
        if (std::string err = encoder.load(folder.info.modelPath(ModelRole::SpeakerEncoder, false),
                                           contractSpec(ModelRole::SpeakerEncoder, loraSize), options);
            !err.empty())
            return failure("enrolment: " + err);
        const int melIn = encoder.inputIndex("mel_ref");
        const int embOut = encoder.outputIndex("spk_embed");
        const int loraOut = encoder.outputIndex("lora_delta");

        const bool bank = withBank && folder.info.bank.present;
        EnrolmentBankBuilder bankBuilder;
        if (bank) {
            if (std::string err = bankBuilder.prepare(folder.info, intraOpThreads); !err.empty())
                return failure("enrolment: " + err);
        }

        StftProcessor stft;
        PitchTracker pitch(c::kF0WindowLength);
        const int maxFrames = static_cast<int>(c::kSpeakerMaxSeconds * c::kSampleRate / c::kHopLength);
        std::vector<float> frame(std::max(c::kWindowLength, c::kF0WindowLength));
        std::vector<float> melFrame(c::kNMels);
        std::vector<float> magFrame(c::kNFreqBins);
        // Progress in units of work: one per bank hop (an ORT run each, ~0.5 ms with the default-size models), and
        // per clip the speaker encoder, whose batched frames cost about 0.3 of a streamed hop each (measured by
        // scripts/bench_enrol.py with and without the bank). Without a bank, one unit per clip.
        constexpr double kEncoderUnitsPerFrame = 0.3;
        double unitsTotal = 1.0, unitsDone = 0.0;
        for (const auto& x : audio) {
            const double n = static_cast<double>(x.size() / c::kHopLength);
            unitsTotal += bank ? n + kEncoderUnitsPerFrame * std::min(n, static_cast<double>(maxFrames)) : 1.0;
        }
        auto report = [&progress, &unitsDone, unitsTotal](double units) {
            unitsDone += units;
            return !progress || progress(unitsDone / unitsTotal);
        };
        constexpr int kHopsPerReport = 32;  // cancel answers within ~32 content-encoder runs
        std::vector<double> embSum(c::kDSpeaker, 0.0);
        std::vector<double> loraSum(static_cast<std::size_t>(loraSize), 0.0);
        std::vector<double> logF0;
        long totalFrames = 0;
        for (int i = 0; i < nClips; ++i) {
            const int nFrames = static_cast<int>(audio[i].size() / c::kHopLength);
            if (nFrames < 1) return failure("enrolment: clip " + std::to_string(i) + " is shorter than one hop");
            totalFrames += nFrames;
            const int used = std::min(nFrames, maxFrames);
            std::vector<float> mel(static_cast<std::size_t>(c::kNMels) * used);
            if (bank) bankBuilder.startClip();
            for (int t = 0; t < nFrames; ++t) {
                frameAt(audio[i], t, c::kF0WindowLength, frame);
                const float f0 = pitch.estimate(frame.data());
                if (f0 > 0.0F) logF0.push_back(std::log(static_cast<double>(f0)));
                if (t >= used && !bank) continue;
                frameAt(audio[i], t, c::kWindowLength, frame);
                stft.analyze(frame.data(), bank ? magFrame.data() : nullptr, nullptr, melFrame.data());
                if (t < used)
                    for (int m = 0; m < c::kNMels; ++m) mel[static_cast<std::size_t>(m) * used + t] = melFrame[m];
                if (!bank) continue;
                if (std::string err = bankBuilder.addHop(melFrame.data(), f0, magFrame.data()); !err.empty())
                    return failure("enrolment: " + err);
                if ((t + 1) % kHopsPerReport == 0 && !report(kHopsPerReport)) return failure("cancelled");
            }
            if (std::string err = encoder.setDynamicLength(used); !err.empty()) return failure("enrolment: " + err);
            std::copy(mel.begin(), mel.end(), encoder.input(static_cast<std::size_t>(melIn)));
            if (!encoder.run()) return failure(std::string("enrolment: speaker encoder failed: ") + encoder.lastError());
            const float* e = encoder.output(static_cast<std::size_t>(embOut));
            const float* l = encoder.output(static_cast<std::size_t>(loraOut));
            for (int k = 0; k < c::kDSpeaker; ++k) embSum[k] += e[k];
            for (std::int64_t k = 0; k < loraSize; ++k) loraSum[static_cast<std::size_t>(k)] += l[k];
            const double clipUnits = bank ? nFrames % kHopsPerReport + kEncoderUnitsPerFrame * used : 1.0;
            if (!report(clipUnits)) return failure("cancelled");
        }
        if (logF0.empty()) return failure("enrolment audio holds no voiced frames (no F0 found)");

        ZeroShotEnrolment r;
        double norm = 0.0;
        for (double& v : embSum) {
            v /= nClips;
            norm += v * v;
        }
        norm = std::max(std::sqrt(norm), 1e-12);  // as torch.nn.functional.normalize's eps
        for (const double v : embSum) r.embedding.push_back(static_cast<float>(v / norm));
        for (const double v : loraSum) r.loraDelta.push_back(static_cast<float>(v / nClips));
        double mean = 0.0;
        for (const double v : logF0) mean += v;
        mean /= static_cast<double>(logF0.size());
        double var = 0.0;
        for (const double v : logF0) var += (v - mean) * (v - mean);
        r.f0LogMean = mean;
        r.f0LogStd = std::sqrt(var / static_cast<double>(logF0.size()));
        r.totalSeconds = static_cast<double>(totalFrames) * c::kHopLength / c::kSampleRate;
        r.nUtterances = nClips;
        if (bank) {
            if (std::string err = bankBuilder.finish(r.bank); !err.empty()) return failure("enrolment: " + err);
        }
        // Keys sorted, as the Python writer (json.dumps(sort_keys=True)).
        std::ostringstream j;
        j << "{";
        if (bank) j << "\"bank_frames\": " << r.bank.frames << ", ";
        j << "\"created_at\": " << jsonString(createdAt.empty() ? utcNowIso8601() : createdAt)
          << ", \"enrolment\": {\"mode\": \"zero-shot\", \"steps\": 0}"
          << ", \"f0_log_mean\": " << jsonNumber(r.f0LogMean) << ", \"f0_log_std\": " << jsonNumber(r.f0LogStd)
          << ", \"model_id\": " << jsonString(folder.info.modelId) << ", \"n_utterances\": " << nClips
          << ", \"name\": " << jsonString(name) << ", \"total_seconds\": " << jsonNumber(r.totalSeconds) << "}";
        r.metadataJson = j.str();
        r.fileBytes = encodeSpeakerFile(r.embedding, r.loraDelta, r.metadataJson, &r.bank);
        // Read it back with the engine's own validating reader: what we write is what the engine accepts.
        SpeakerExpectation expect;
        expect.loraSize = static_cast<std::size_t>(loraSize);
        expect.modelId = folder.info.modelId;
        expect.bankValueSize = bank ? static_cast<std::size_t>(folder.info.bank.valueSize) : 0;
        const SpeakerReadResult check = parseSpeakerFile(r.fileBytes.data(), r.fileBytes.size(), expect);
        if (!check.ok) return failure("enrolment: the written speaker file does not validate: " + check.error);
        if (progress) progress(1.0);
        r.ok = true;
        return r;
    } catch (const std::exception& e) {
        return failure(std::string("enrolment: ") + e.what());
    }
}

}  // namespace tmrvc
