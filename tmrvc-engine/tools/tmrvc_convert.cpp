// tmrvc-convert: offline conversion of a WAV file through exactly the engine's streaming process().
//   tmrvc-convert --models DIR --speaker FILE [--block N] [--q Q] [--pitch SEMITONES] [--auto-pitch] [--int8]
//                 [--gate DBFS] [--formant SEMITONES] [--no-level-match] [--allow-model-mismatch] [--vocoder-phase] [--identity] IN.wav OUT.wav
// Non-real-time rendering (process() waits for inference), so the output is complete and deterministic.
// Output: same rate and length as the input, mono 32-bit float WAV. Errors: one line on stderr, exit 1 (2 for usage).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/streaming_engine.h"
#include "wav_io.h"

namespace {

constexpr const char* kUsage =
    "usage: tmrvc-convert --models DIR --speaker FILE [--block N] [--q Q] [--pitch SEMITONES] [--auto-pitch] [--int8] "
    "[--gate DBFS] [--formant SEMITONES] [--no-level-match] [--allow-model-mismatch] [--vocoder-phase] [--identity] IN.wav OUT.wav";
constexpr int kMaxBlock = 1 << 16;

struct Args {
    std::string models, speaker, in, out;
    int block = 256;
    double q = 0.0;
    double pitch = 0.0;
    double gateDb = tmrvc::constants::kGateOffDbfs;  // silence/noise gate threshold; off by default
    double formant = 0.0;                             // formant shift in semitones
    bool identity = false;
    bool int8 = false;
    bool vocoderPhase = false;  // the vocoder's own phase instead of the reconstructed one
    bool autoPitch = false;     // move the input's running mean pitch onto the speaker's (plus --pitch)
    bool levelMatch = true;     // the output's level follows the input's
    bool allowModelMismatch = false;
};

std::string oneLine(std::string s) {
    std::replace(s.begin(), s.end(), '\n', ';');
    return s;
}

int fail(const std::string& msg, int code = 1) {
    std::fprintf(stderr, "tmrvc-convert: error: %s\n", oneLine(msg).c_str());
    return code;
}

bool parseNumber(const std::string& text, double& out) {
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end != text.c_str() && *end == '\0' && std::isfinite(out);
}

// "" on success, else a usage error.
std::string parseArgs(int argc, char** argv, Args& a) {
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](std::string& v) {
            if (i + 1 >= argc) return false;
            v = argv[++i];
            return true;
        };
        std::string v;
        double num = 0.0;
        if (arg == "--identity") {
            a.identity = true;
        } else if (arg == "--int8") {
            a.int8 = true;
        } else if (arg == "--vocoder-phase") {
            a.vocoderPhase = true;
        } else if (arg == "--auto-pitch") {
            a.autoPitch = true;
        } else if (arg == "--no-level-match") {
            a.levelMatch = false;
        } else if (arg == "--allow-model-mismatch") {
            a.allowModelMismatch = true;
        } else if (arg == "--models" || arg == "--speaker") {
            if (!value(v)) return arg + " needs a value";
            (arg == "--models" ? a.models : a.speaker) = v;
        } else if (arg == "--gate" || arg == "--formant") {
            if (!value(v) || !parseNumber(v, num)) return arg + " needs a number";
            if (arg == "--gate") {
                if (num > 0.0) return "--gate must be a threshold in dBFS (<= 0; <= " +
                                      std::to_string(static_cast<int>(tmrvc::constants::kGateOffDbfs)) + " is off), got " + v;
                a.gateDb = num;
            } else {
                const double m = tmrvc::constants::kFormantMaxSemitones;
                if (num < -m || num > m) return "--formant must be in [-6, 6] semitones, got " + v;
                a.formant = num;
            }
        } else if (arg == "--block" || arg == "--q" || arg == "--pitch") {
            if (!value(v) || !parseNumber(v, num)) return arg + " needs a number";
            if (arg == "--block") {
                if (num < 1 || num > kMaxBlock || num != std::floor(num))
                    return "--block must be an integer in 1.." + std::to_string(kMaxBlock) + ", got " + v;
                a.block = static_cast<int>(num);
            } else if (arg == "--q") {
                if (num < 0.0 || num > 1.0) return "--q must be in [0, 1], got " + v;
                a.q = num;
            } else {
                if (num < -24.0 || num > 24.0) return "--pitch must be in [-24, 24] semitones, got " + v;
                a.pitch = num;
            }
        } else if (arg == "-h" || arg == "--help") {
            return "help";
        } else if (arg.size() > 1 && arg[0] == '-') {
            return "unknown option " + arg;
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.size() != 2) return "expected IN.wav and OUT.wav, got " + std::to_string(positional.size()) + " paths";
    a.in = positional[0];
    a.out = positional[1];
    if (!a.identity && (a.models.empty() || a.speaker.empty())) return "--models DIR and --speaker FILE are required (or --identity)";
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    const std::string usage = parseArgs(argc, argv, a);
    if (usage == "help") {
        std::printf("%s\n", kUsage);
        return 0;
    }
    if (!usage.empty()) return fail(usage + " (" + kUsage + ")", 2);
    tmrvc::tools::MonoAudio audio;
    std::string err = tmrvc::tools::readMono(a.in, audio);
    if (!err.empty()) return fail(err);
    tmrvc::StreamingEngine engine;
    if (a.identity) {
        engine.setIdentityMode(true);
    } else {
        err = engine.loadModels(a.models, a.int8);
        if (!err.empty()) return fail("model folder '" + a.models + "': " + err);
        err = engine.loadSpeaker(a.speaker, a.allowModelMismatch);
        if (!err.empty()) return fail("speaker '" + a.speaker + "': " + err);
        // A loaded speaker can still carry a warning (an allowed model_id mismatch, a bank the models ignore).
        if (!engine.lastError().empty())
            std::fprintf(stderr, "tmrvc-convert: warning: %s\n", oneLine(engine.lastError()).c_str());
    }
    engine.setPitchShiftSemitones(static_cast<float>(a.pitch));
    engine.setAutoPitchMatch(a.autoPitch);
    engine.setLevelMatch(a.levelMatch);
    engine.setGateThresholdDb(static_cast<float>(a.gateDb));
    engine.setFormantShiftSemitones(static_cast<float>(a.formant));
    engine.setQuality(static_cast<float>(a.q));
    engine.setVocoderPhase(a.vocoderPhase);
    engine.setNonRealtime(true);
    err = engine.prepare(static_cast<double>(audio.sampleRate), a.block);
    if (!err.empty()) return fail(err);
    std::vector<float> out(audio.samples.size());
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t pos = 0; pos < audio.samples.size(); pos += static_cast<std::size_t>(a.block)) {
        const auto n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(a.block), audio.samples.size() - pos));
        engine.process(audio.samples.data() + pos, out.data() + pos, n);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    err = tmrvc::tools::writeMonoFloat(a.out, out.data(), out.size(), audio.sampleRate);
    if (!err.empty()) return fail(err);
    const double audioSeconds = static_cast<double>(audio.samples.size()) / audio.sampleRate;
    const int latency = engine.latencySamples();
    std::printf("latency: %d samples (%.2f ms at %d Hz)\n", latency, 1000.0 * latency / audio.sampleRate, audio.sampleRate);
    std::printf("real-time factor: %.4f (%.3f s of processing for %.3f s of audio, block %d)\n",
                audioSeconds > 0 ? seconds / audioSeconds : 0.0, seconds, audioSeconds, a.block);
    std::printf("status: %s\n", oneLine(engine.status()).c_str());
    return 0;
}
