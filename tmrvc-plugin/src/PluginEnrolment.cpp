#include "PluginEnrolment.h"

namespace tmrvc::plugin {

juce::String decodeAudioFiles(const juce::StringArray& paths, std::vector<EnrolmentClip>& out) {
    juce::AudioFormatManager formats;
    formats.registerBasicFormats();
    out.clear();
    for (const auto& path : paths) {
        const juce::File file(path);
        std::unique_ptr<juce::AudioFormatReader> reader(formats.createReaderFor(file));
        if (reader == nullptr)
            return "cannot read " + file.getFileName() + " (expected " + formats.getWildcardForAllFormats() + ")";
        const auto n = static_cast<int>(reader->lengthInSamples);
        const int channels = static_cast<int>(reader->numChannels);
        if (n <= 0 || channels <= 0) return file.getFileName() + " holds no audio";
        juce::AudioBuffer<float> buffer(channels, n);
        if (!reader->read(&buffer, 0, n, 0, true, true)) return "cannot decode " + file.getFileName();
        EnrolmentClip clip;
        clip.sampleRate = static_cast<int>(reader->sampleRate);
        clip.samples.assign(static_cast<std::size_t>(n), 0.0f);
        for (int c = 0; c < channels; ++c) {
            const float* src = buffer.getReadPointer(c);
            for (int i = 0; i < n; ++i) clip.samples[static_cast<std::size_t>(i)] += src[i] / static_cast<float>(channels);
        }
        out.push_back(std::move(clip));
    }
    return {};
}

juce::String sanitiseSpeakerName(const juce::String& name) {
    const auto safe = juce::File::createLegalFileName(name.trim()).replaceCharacter(' ', '_');
    return safe.isEmpty() ? juce::String("voice") : safe;
}

juce::String PluginEnrolment::start(const juce::StringArray& files, const juce::String& name,
                                    const juce::String& modelDir, const juce::String& speakerDir) {
    if (job_.running()) return "an enrolment is already running";
    if (modelDir.isEmpty()) return "choose a model folder first";
    if (files.isEmpty()) return "drop or choose audio files (at least 10 s in total)";
    const auto safe = sanitiseSpeakerName(name);
    const auto out = juce::File(speakerDir).getChildFile(safe + ".tmrvc_speaker").getFullPathName();
    const juce::StringArray paths = files;
    const bool ok = job_.start(
        modelDir.toStdString(),
        [paths](std::vector<EnrolmentClip>& clips) { return decodeAudioFiles(paths, clips).toStdString(); },
        safe.toStdString(), out.toStdString(), nullptr);
    if (!ok) return "an enrolment is already running";
    reported_ = false;
    return {};
}

bool PluginEnrolment::takeFinished() noexcept {
    const auto s = job_.state();
    if (reported_ || s == EnrolmentJob::State::Running || s == EnrolmentJob::State::Idle) return false;
    reported_ = true;
    return true;
}

}  // namespace tmrvc::plugin
