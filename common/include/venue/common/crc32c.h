#pragma once
// CRC-32C (Castagnoli), the checksum of journal records and snapshots. Uses the SSE4.2 instruction
// when the CPU has it, a table otherwise; both give the same value.

#include <cstddef>
#include <cstdint>

namespace venue {

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace venue
