#include "tmrvc/cross_fader.h"

#include <algorithm>
#include <cmath>

namespace tmrvc {

void CrossFader::start(int length) noexcept {
    length_ = std::max(length, 1);
    position_ = 0;
}

void CrossFader::mix(const float* from, const float* to, float* out, int n) noexcept {
    constexpr double kHalfPi = 1.57079632679489661923;
    for (int i = 0; i < n; ++i) {
        if (position_ >= length_) {
            out[i] = to[i];
            continue;
        }
        const double theta = kHalfPi * (position_ + 0.5) / length_;
        out[i] = static_cast<float>(std::cos(theta) * from[i] + std::sin(theta) * to[i]);
        ++position_;
    }
}

}  // namespace tmrvc
