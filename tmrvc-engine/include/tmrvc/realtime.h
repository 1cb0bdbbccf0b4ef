// TMRVC_REALTIME marks a function that must stay real-time safe (no allocation, locks, I/O, exceptions).
// With Clang >= 20 it maps to the function-type attribute [[clang::nonblocking]], which the compiler checks
// (-Wfunction-effects); elsewhere it expands to nothing. Place it after the parameter list and `noexcept`:
//     void process(const float* in, float* out, int n) noexcept TMRVC_REALTIME;
#pragma once

#if defined(__clang__) && defined(__has_cpp_attribute)
#if __has_cpp_attribute(clang::nonblocking)
#define TMRVC_REALTIME [[clang::nonblocking]]
#endif
#endif

#ifndef TMRVC_REALTIME
#define TMRVC_REALTIME
#endif
