// EnrolmentJob: one zero-shot enrolment on its own thread (enrolZeroShot → `.tmrvc_speaker` written atomically →
// the engine's asynchronous speaker load, which cross-fades to the new voice). The plugin editor's enrol action
// and the tests drive this same class. The audio thread never touches it; progress and state are atomics the
// GUI polls; message() takes a mutex (GUI thread only). JUCE-free.
#pragma once
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tmrvc/zero_shot_enroller.h"

namespace tmrvc {

class StreamingEngine;

class EnrolmentJob {
public:
    enum class State { Idle, Running, Done, Failed };

    EnrolmentJob() = default;
    ~EnrolmentJob();  // cancels and joins
    EnrolmentJob(const EnrolmentJob&) = delete;
    EnrolmentJob& operator=(const EnrolmentJob&) = delete;

    // Starts enrolling on a new thread. engine (may be null) gets loadSpeakerAsync(outPath) when the file is
    // written; it must outlive the job. false (and nothing started) while a job is still running.
    bool start(std::string modelDir, std::vector<EnrolmentClip> clips, std::string name, std::string outPath,
               StreamingEngine* engine);
    // The same, with the clips produced on the job thread by loadClips (e.g. decoding audio files): it fills the
    // clips and returns "" or says why it could not.
    using ClipLoader = std::function<std::string(std::vector<EnrolmentClip>& clips)>;
    bool start(std::string modelDir, ClipLoader loadClips, std::string name, std::string outPath,
               StreamingEngine* engine);
    // Called on the job's thread with the written file's path, after the engine's load was queued (set it before
    // start(); e.g. the plugin records the path in its state and loads it as its speaker).
    void setOnDone(std::function<void(const std::string& outPath)> onDone) { onDone_ = std::move(onDone); }
    void cancel() noexcept { cancel_.store(true); }
    void wait();  // joins the thread if one ran

    State state() const noexcept { return state_.load(); }
    bool running() const noexcept { return state() == State::Running; }
    double progress() const noexcept { return progress_.load(); }  // 0..1
    std::string message() const;  // the error, or "wrote <path>" when done
    std::string outPath() const;
    double seconds() const noexcept { return seconds_.load(); }  // wall time of the last job

private:
    void run(std::string modelDir, ClipLoader loadClips, std::string name, StreamingEngine* engine);

    std::function<void(const std::string&)> onDone_;
    std::thread thread_;
    std::atomic<State> state_{State::Idle};
    std::atomic<double> progress_{0.0};
    std::atomic<double> seconds_{0.0};
    std::atomic<bool> cancel_{false};
    mutable std::mutex mutex_;
    std::string message_;
    std::string outPath_;
};

// Default place for speakers enrolled in the plugin: $TMRVC_SPEAKER_DIR, else ~/TMRVC/speakers (the plugin
// cannot know the DAW project's folder portably).
std::string defaultSpeakerDir();

}  // namespace tmrvc
