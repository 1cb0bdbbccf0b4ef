// PluginState: the versioned blob returned by getStateInformation().
//
// Layout (JUCE's copyXmlToBinary): uint32 LE magic 0x21324356, uint32 LE length, UTF-8 XML, NUL:
//   <TMRVC_STATE version="1" modelDir="/path" speakerPath="/path/x.tmrvc_speaker">
//     <PARAM id="dryWet" value="1"/> ...            (plain values, units as in Parameters.h)
//   </TMRVC_STATE>
// Parsing never trusts the input: wrong magic, bad lengths, invalid UTF-8, malformed XML, another version,
// non-finite or unknown values all give a result with ok == false (or a skipped value) and a message.
#pragma once

#include <juce_core/juce_core.h>

#include <map>

namespace tmrvc::plugin {

inline constexpr int kStateVersion = 1;
inline constexpr const char* kStateTag = "TMRVC_STATE";
inline constexpr std::size_t kStateMaxBytes = 1u << 20;

struct StoredState {
    std::map<juce::String, float> parameters;  // parameter ID -> plain value
    juce::String modelDir;
    juce::String speakerPath;
    juce::String speakerDir;  // where in-plugin enrolments are written ("" = the default; optional in old states)
};

struct ParsedState {
    bool ok = false;
    juce::String message;  // why ok is false, or which values were ignored
    StoredState state;
};

juce::MemoryBlock serialiseState(const StoredState& state);
// knownIds: the parameter IDs this build knows; others are ignored (and named in message).
ParsedState parseState(const void* data, std::size_t sizeInBytes, const juce::StringArray& knownIds);

}  // namespace tmrvc::plugin
