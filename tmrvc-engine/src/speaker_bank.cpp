#include "tmrvc/speaker_bank.h"

#include <algorithm>
#include <cmath>

#include "tmrvc/constants.h"

namespace tmrvc {

std::string appendBankOverrides(const BankLayout& layout, const SpeakerProfile& speaker,
                                std::vector<InitializerOverride>& out) {
    if (!layout.present || !speaker.hasBank()) return {};
    const auto frames = static_cast<std::size_t>(layout.frames);
    const auto keySize = static_cast<std::size_t>(layout.keySize);
    const auto valueSize = static_cast<std::size_t>(layout.valueSize);
    const std::size_t n = speaker.bankFrames;
    if (n > frames)
        return "speaker bank has " + std::to_string(n) + " frames, the models hold " + std::to_string(frames);
    if (speaker.bankKeySize != keySize || speaker.bankValueSize != valueSize)
        return "speaker bank rows are " + std::to_string(speaker.bankKeySize) + " + " +
               std::to_string(speaker.bankValueSize) + " floats, the models' bank takes " + std::to_string(keySize) +
               " + " + std::to_string(valueSize);
    const auto f = static_cast<std::int64_t>(frames);
    InitializerOverride keys{kBankKeysName, {static_cast<std::int64_t>(keySize), f},
                             std::vector<float>(keySize * frames, 0.0f)};
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t d = 0; d < keySize; ++d) keys.values[d * frames + j] = speaker.bankKeys[j * keySize + d];
    InitializerOverride values{kBankValuesName, {f, static_cast<std::int64_t>(valueSize)},
                               std::vector<float>(valueSize * frames, 0.0f)};
    std::copy(speaker.bankValues.begin(), speaker.bankValues.begin() + static_cast<std::ptrdiff_t>(n * valueSize),
              values.values.begin());
    InitializerOverride bias{kBankBiasName, {f}, std::vector<float>(frames, static_cast<float>(constants::kBankPadBias))};
    std::fill(bias.values.begin(), bias.values.begin() + static_cast<std::ptrdiff_t>(n), 0.0f);
    // voiced: 1 where the row's harmonic and noise envelopes differ (the bank builders write H = N for unvoiced
    // frames), as tmrvc_core.dsp.envelopes.bank_voicing; the converter prefers rows of the input's voicing.
    InitializerOverride voiced{kBankVoicedName, {f}, std::vector<float>(frames, 0.0f)};
    const std::size_t half = valueSize / 2;
    for (std::size_t j = 0; j < n; ++j) {
        const float* row = speaker.bankValues.data() + j * valueSize;
        float gap = 0.0f;
        for (std::size_t i = 0; i < half; ++i) gap = std::max(gap, std::fabs(row[i] - row[half + i]));
        voiced.values[j] = gap > static_cast<float>(constants::kBankVoicedMinGap) ? 1.0f : 0.0f;
    }
    out.push_back(std::move(keys));
    out.push_back(std::move(values));
    out.push_back(std::move(bias));
    out.push_back(std::move(voiced));
    out.push_back(bankMixOverride(1.0f));
    return {};
}

InitializerOverride bankMixOverride(float mix) { return {kBankMixName, {1}, {mix}}; }

}  // namespace tmrvc
