// Fluvia CUDA emulator: what the generated registry (registry.cmake) needs to describe a kernel from its C++ signature.
#pragma once
#include "emu.h"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace flvemu {
namespace reg {

template <class T> constexpr const char* typeName() {
    if constexpr (std::is_pointer<T>::value) return "ptr";
    else if constexpr (std::is_same<T, int>::value) return "int";
    else if constexpr (std::is_same<T, unsigned>::value) return "uint";
    else if constexpr (std::is_same<T, long long>::value) return "long long";
    else if constexpr (std::is_same<T, unsigned long long>::value) return "unsigned long long";
    else if constexpr (std::is_same<T, long>::value) return "long";
    else if constexpr (std::is_same<T, float>::value) return "float";
    else if constexpr (std::is_same<T, double>::value) return "double";
    else if constexpr (std::is_same<T, bool>::value) return "bool";
    else return "other";
}

template <class T> constexpr ParamInfo paramInfo() {
    return ParamInfo{(unsigned) sizeof(T), (unsigned) alignof(T), std::is_pointer<T>::value, typeName<T>()};
}

template <class... A> constexpr std::array<ParamInfo, sizeof...(A)> paramsOf(void (*)(A...)) { return {paramInfo<A>()...}; }

template <auto F> inline constexpr auto kParams = paramsOf(F);

template <class... A, std::size_t... I>
inline void callWith(void (*f)(A...), void* const* args, std::index_sequence<I...>) {
    f(*static_cast<typename std::remove_reference<A>::type*>(args[I])...);
}

template <auto F> void invoke(void* const* args) { callWith(F, args, std::make_index_sequence<kParams<F>.size()>{}); }

}  // namespace reg
}  // namespace flvemu

#define FLV_EMU_KERNEL(name, file, bounds) \
    {#name, file, (bounds), (int) ::flvemu::reg::kParams<&name>.size(), ::flvemu::reg::kParams<&name>.data(), &::flvemu::reg::invoke<&name>},
