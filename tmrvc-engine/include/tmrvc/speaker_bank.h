// Speaker bank initializers (docs/speaker-bank.md): a speaker's bank rows laid out as the converter's fixed-size
// bank.keys / bank.values / bank.bias / bank.voiced / bank.mix overrides. Control side only (allocates).
#pragma once

#include <string>
#include <vector>

#include "tmrvc/model_folder.h"
#include "tmrvc/ort_model.h"
#include "tmrvc/speaker_file.h"

namespace tmrvc {

inline constexpr const char* kBankKeysName = "bank.keys";
inline constexpr const char* kBankValuesName = "bank.values";
inline constexpr const char* kBankBiasName = "bank.bias";
inline constexpr const char* kBankVoicedName = "bank.voiced";
inline constexpr const char* kBankMixName = "bank.mix";

// Appends the five overrides for `speaker`'s bank: keys [key_size, frames] (the file's rows transposed, empty
// columns zero), values [frames, V] (zero rows padded), bias [frames] (0 for a row in use, bank_pad_bias for an
// empty slot), voiced [frames] (1 for a voiced row: its H and N differ), mix [1] = 1. Appends nothing when the models or the speaker have no bank. "" on success; an error
// when the speaker's bank does not fit the models' layout.
std::string appendBankOverrides(const BankLayout& layout, const SpeakerProfile& speaker,
                                std::vector<InitializerOverride>& out);

// Only bank.mix = `mix` over the exported (empty) bank: the load-time probe that the initializer reaches the graph.
InitializerOverride bankMixOverride(float mix);

}  // namespace tmrvc
