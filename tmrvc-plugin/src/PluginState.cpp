#include "PluginState.h"

#include <cmath>
#include <cstring>

namespace tmrvc::plugin {
namespace {

constexpr std::uint32_t kMagic = 0x21324356;

std::uint32_t readLe32(const unsigned char* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

ParsedState fail(const juce::String& why) {
    ParsedState r;
    r.message = why;
    return r;
}

std::unique_ptr<juce::XmlElement> extractXml(const void* data, std::size_t size, juce::String& why) {
    if (data == nullptr || size < 9) {
        why = "state is " + juce::String(static_cast<juce::int64>(size)) + " bytes, too short";
        return nullptr;
    }
    if (size > kStateMaxBytes) {
        why = "state is " + juce::String(static_cast<juce::int64>(size)) + " bytes, more than the 1 MiB limit";
        return nullptr;
    }
    const auto* bytes = static_cast<const unsigned char*>(data);
    if (readLe32(bytes) != kMagic) {
        why = "state does not start with the TMRVC state header";
        return nullptr;
    }
    const std::size_t length = readLe32(bytes + 4);
    if (length == 0 || length > size - 8) {
        why = "state length field (" + juce::String(static_cast<juce::int64>(length)) + ") does not fit the " +
              juce::String(static_cast<juce::int64>(size)) + "-byte blob";
        return nullptr;
    }
    const auto* text = reinterpret_cast<const char*>(bytes + 8);
    const std::size_t textBytes = strnlen(text, length);
    if (!juce::CharPointer_UTF8::isValidString(text, static_cast<int>(textBytes))) {
        why = "state text is not valid UTF-8";
        return nullptr;
    }
    auto xml = juce::parseXML(juce::String::fromUTF8(text, static_cast<int>(textBytes)));
    if (xml == nullptr) why = "state text is not well-formed XML";
    return xml;
}

}  // namespace

juce::MemoryBlock serialiseState(const StoredState& state) {
    juce::XmlElement root(kStateTag);
    root.setAttribute("version", kStateVersion);
    root.setAttribute("modelDir", state.modelDir);
    root.setAttribute("speakerPath", state.speakerPath);
    if (state.speakerDir.isNotEmpty()) root.setAttribute("speakerDir", state.speakerDir);
    for (const auto& [id, value] : state.parameters) {
        auto* p = root.createNewChildElement("PARAM");
        p->setAttribute("id", id);
        p->setAttribute("value", static_cast<double>(value));
    }
    juce::MemoryBlock out;
    {
        juce::MemoryOutputStream stream(out, false);
        stream.writeInt(static_cast<int>(kMagic));
        stream.writeInt(0);
        root.writeTo(stream, juce::XmlElement::TextFormat().singleLine());
        stream.writeByte(0);
    }
    const auto length = static_cast<std::uint32_t>(out.getSize() - 9);
    const unsigned char le[4] = {static_cast<unsigned char>(length & 0xff), static_cast<unsigned char>((length >> 8) & 0xff),
                                 static_cast<unsigned char>((length >> 16) & 0xff), static_cast<unsigned char>(length >> 24)};
    std::memcpy(static_cast<char*>(out.getData()) + 4, le, 4);
    return out;
}

ParsedState parseState(const void* data, std::size_t sizeInBytes, const juce::StringArray& knownIds) {
    juce::String why;
    auto xml = extractXml(data, sizeInBytes, why);
    if (xml == nullptr) return fail(why);
    if (!xml->hasTagName(kStateTag)) return fail("state root is <" + xml->getTagName() + ">, expected <" + kStateTag + ">");
    if (!xml->hasAttribute("version")) return fail("state has no version");
    const int version = xml->getIntAttribute("version", -1);
    if (version != kStateVersion) {
        return fail("state version " + xml->getStringAttribute("version") + (version < kStateVersion ? " is older than" : " is not") +
                    " this plugin's version " + juce::String(kStateVersion));
    }
    ParsedState r;
    r.ok = true;
    r.state.modelDir = xml->getStringAttribute("modelDir");
    r.state.speakerPath = xml->getStringAttribute("speakerPath");
    r.state.speakerDir = xml->getStringAttribute("speakerDir");
    juce::StringArray ignored;
    for (auto* p : xml->getChildWithTagNameIterator("PARAM")) {
        const auto id = p->getStringAttribute("id");
        const double value = p->getDoubleAttribute("value", std::nan(""));
        if (!knownIds.contains(id) || !std::isfinite(value)) {
            ignored.add(id.isEmpty() ? juce::String("<no id>") : id);
            continue;
        }
        r.state.parameters[id] = static_cast<float>(value);
    }
    if (!ignored.isEmpty()) r.message = "ignored state values: " + ignored.joinIntoString(", ");
    return r;
}

}  // namespace tmrvc::plugin
