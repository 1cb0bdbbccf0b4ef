// EnrolmentJob (see enrolment_job.h).
#include "tmrvc/enrolment_job.h"

#include <chrono>
#include <cstdlib>
#include <memory>

#include "tmrvc/streaming_engine.h"

namespace tmrvc {

EnrolmentJob::~EnrolmentJob() {
    cancel();
    wait();
}

bool EnrolmentJob::start(std::string modelDir, std::vector<EnrolmentClip> clips, std::string name,
                         std::string outPath, StreamingEngine* engine) {
    auto shared = std::make_shared<std::vector<EnrolmentClip>>(std::move(clips));
    return start(std::move(modelDir), [shared](std::vector<EnrolmentClip>& out) {
        out = std::move(*shared);
        return std::string();
    }, std::move(name), std::move(outPath), engine);
}

bool EnrolmentJob::start(std::string modelDir, ClipLoader loadClips, std::string name, std::string outPath,
                         StreamingEngine* engine) {
    if (running()) return false;
    wait();  // join a finished thread before reusing the object
    {
        std::lock_guard<std::mutex> lock(mutex_);
        message_.clear();
        outPath_ = std::move(outPath);
    }
    cancel_.store(false);
    progress_.store(0.0);
    state_.store(State::Running);
    thread_ = std::thread(&EnrolmentJob::run, this, std::move(modelDir), std::move(loadClips), std::move(name),
                          engine);
    return true;
}

void EnrolmentJob::wait() {
    if (thread_.joinable()) thread_.join();
}

std::string EnrolmentJob::message() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return message_;
}

std::string EnrolmentJob::outPath() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return outPath_;
}

void EnrolmentJob::run(std::string modelDir, ClipLoader loadClips, std::string name, StreamingEngine* engine) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string out = outPath();
    auto progress = [this](double f) {
        progress_.store(0.95 * f);  // the last 5 %: writing the file and handing it to the engine
        return !cancel_.load();
    };
    std::vector<EnrolmentClip> clips;
    std::string err = loadClips ? loadClips(clips) : std::string("enrolment: no audio given");
    if (err.empty()) {
        ZeroShotEnrolment r = enrolZeroShot(modelDir, clips, name, "", progress);
        err = r.ok ? writeFileAtomically(out, r.fileBytes) : r.error;
    }
    if (err.empty() && engine != nullptr) engine->loadSpeakerAsync(out);
    if (err.empty() && onDone_) onDone_(out);
    seconds_.store(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    {
        std::lock_guard<std::mutex> lock(mutex_);
        message_ = err.empty() ? "wrote " + out : err;
    }
    if (err.empty()) progress_.store(1.0);
    state_.store(err.empty() ? State::Done : State::Failed);
}

std::string defaultSpeakerDir() {
    if (const char* env = std::getenv("TMRVC_SPEAKER_DIR"); env != nullptr && *env != '\0') return env;
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr && *home != '\0' ? home : ".") + "/TMRVC/speakers";
}

}  // namespace tmrvc
