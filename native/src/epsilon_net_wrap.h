// N-API binding of the streaming epsilon-net bank (epsilon_net.h).
#pragma once
#include <napi.h>

namespace patchline {
void InitEpsilonNet(Napi::Env env, Napi::Object exports);
}
