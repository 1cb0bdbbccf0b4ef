// WakeSignal: a counting semaphore whose notify() is safe on the audio thread (sem_post: no lock, no allocation,
// async-signal-safe). Waiting happens only on the worker, or in non-real-time rendering.
#pragma once

#include <semaphore.h>

namespace tmrvc {

class WakeSignal {
public:
    WakeSignal() noexcept { sem_init(&sem_, 0, 0); }
    ~WakeSignal() { sem_destroy(&sem_); }
    WakeSignal(const WakeSignal&) = delete;
    WakeSignal& operator=(const WakeSignal&) = delete;

    void notify() noexcept { sem_post(&sem_); }
    // Waits until notified or timeoutMs passed; true when notified.
    bool waitFor(int timeoutMs) noexcept;

private:
    sem_t sem_;
};

}  // namespace tmrvc
