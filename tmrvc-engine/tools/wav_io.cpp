#include "wav_io.h"

#include <sndfile.h>

namespace tmrvc::tools {

std::string readMono(const std::string& path, MonoAudio& out) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (f == nullptr) return "cannot read audio file '" + path + "': " + sf_strerror(nullptr);
    if (info.channels < 1 || info.samplerate < 1 || info.frames < 0) {
        sf_close(f);
        return "audio file '" + path + "' has no usable channels or sample rate";
    }
    const auto frames = static_cast<std::size_t>(info.frames);
    const auto ch = static_cast<std::size_t>(info.channels);
    std::vector<float> inter(frames * ch);
    const sf_count_t got = sf_readf_float(f, inter.data(), info.frames);
    sf_close(f);
    if (got != info.frames) return "audio file '" + path + "' is truncated";
    out.samples.assign(frames, 0.0f);
    for (std::size_t i = 0; i < frames; ++i) {
        float sum = 0.0f;
        for (std::size_t c = 0; c < ch; ++c) sum += inter[i * ch + c];
        out.samples[i] = sum / static_cast<float>(ch);
    }
    out.sampleRate = info.samplerate;
    out.channels = info.channels;
    return {};
}

std::string writeMonoFloat(const std::string& path, const float* samples, std::size_t n, int sampleRate) {
    SF_INFO info{};
    info.samplerate = sampleRate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (f == nullptr) return "cannot write '" + path + "': " + sf_strerror(nullptr);
    sf_command(f, SFC_SET_ADD_PEAK_CHUNK, nullptr, SF_FALSE);  // plain fmt + data chunks, readable everywhere
    const sf_count_t wrote = sf_writef_float(f, samples, static_cast<sf_count_t>(n));
    sf_close(f);
    if (wrote != static_cast<sf_count_t>(n)) return "short write to '" + path + "'";
    return {};
}

}  // namespace tmrvc::tools
