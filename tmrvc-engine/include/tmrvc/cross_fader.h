// CrossFader: equal-power fade from one signal to another over a fixed length (100 ms for speaker swaps, model
// reloads and profile switches). Real-time safe after construction.
#pragma once

namespace tmrvc {

class CrossFader {
public:
    // Starts a fade of `length` samples (>= 1); an active fade restarts from the beginning.
    void start(int length) noexcept;
    bool active() const noexcept { return position_ < length_; }
    // out[i] = cos(θ)·from[i] + sin(θ)·to[i], θ going 0 → π/2 over the fade; after it, out = to.
    // out may alias from or to.
    void mix(const float* from, const float* to, float* out, int n) noexcept;

private:
    int length_ = 0;
    int position_ = 0;
};

}  // namespace tmrvc
