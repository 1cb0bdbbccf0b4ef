// PluginEnrolment: the plugin's "enrol a voice" action. Audio files (anything JUCE's basic formats read: WAV, AIFF,
// and FLAC when JUCE is built with it) are decoded to mono floats on the job's thread, then tmrvc::EnrolmentJob
// enrols zero-shot (engine, JUCE-free) and writes <speakerDir>/<name>.tmrvc_speaker. The processor polls finished()
// on the message thread and loads the new file through its usual speaker path (the engine cross-fades).
// The audio thread never touches this class.
#pragma once
#include <juce_audio_formats/juce_audio_formats.h>
#include <tmrvc/enrolment_job.h>

namespace tmrvc::plugin {

// Decodes each file to mono (channels averaged) at its own rate. "" on success, else which file failed and why.
juce::String decodeAudioFiles(const juce::StringArray& paths, std::vector<EnrolmentClip>& out);

// A file-name-safe speaker name from free text ("" → "voice").
juce::String sanitiseSpeakerName(const juce::String& name);

class PluginEnrolment {
public:
    // onDone runs on the job's thread with the written path (set before start()).
    void setOnDone(std::function<void(const std::string&)> onDone) { job_.setOnDone(std::move(onDone)); }
    // Message thread. "" when started, else why not (one already running, no model folder, no files).
    juce::String start(const juce::StringArray& files, const juce::String& name, const juce::String& modelDir,
                       const juce::String& speakerDir);
    bool running() const noexcept { return job_.running(); }
    double progress() const noexcept { return job_.progress(); }
    EnrolmentJob::State state() const noexcept { return job_.state(); }
    juce::String message() const { return juce::String(job_.message()); }
    juce::String outPath() const { return juce::String(job_.outPath()); }
    double seconds() const noexcept { return job_.seconds(); }
    // Message thread: true once per finished job (Done or Failed), so the caller acts on it exactly once.
    bool takeFinished() noexcept;
    void cancelAndWait() {
        job_.cancel();
        job_.wait();
    }

private:
    EnrolmentJob job_;
    bool reported_ = true;
};

}  // namespace tmrvc::plugin
