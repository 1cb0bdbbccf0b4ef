#include "tmrvc/wake_signal.h"

#include <cerrno>
#include <ctime>

namespace tmrvc {

bool WakeSignal::waitFor(int timeoutMs) noexcept {
    timespec deadline{};
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeoutMs / 1000;
    deadline.tv_nsec += static_cast<long>(timeoutMs % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    while (sem_timedwait(&sem_, &deadline) != 0) {
        if (errno != EINTR) return false;
    }
    return true;
}

}  // namespace tmrvc
