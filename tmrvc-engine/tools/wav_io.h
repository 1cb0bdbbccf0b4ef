// WAV (and any libsndfile format) reading and writing for the command-line tools.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tmrvc::tools {

struct MonoAudio {
    std::vector<float> samples;  // channels mixed down to mono (mean)
    int sampleRate = 0;
    int channels = 0;            // of the file
};

// "" on success, else why the file cannot be read (one line).
std::string readMono(const std::string& path, MonoAudio& out);
// Writes a mono 32-bit float WAV. "" on success.
std::string writeMonoFloat(const std::string& path, const float* samples, std::size_t n, int sampleRate);

}  // namespace tmrvc::tools
