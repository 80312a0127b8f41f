// Package abi reads and writes the values that cross between a Spin 1.x
// core module and its host in the guest's linear memory, laid out as the
// old wit-bindgen ("ephemeral") canonical ABI does: 32-bit little-endian
// pointers and lengths (v1.5.1:wit/ephemeral/ holds the interfaces).
//
// It holds what package host uses, and nothing else:
//
//   - string and list<u8>, passed as a (ptr, len) pair: [Bytes] (in place,
//     for borrowed import arguments and return areas), [CopyBytes] (for
//     results the host keeps after freeing them in the guest), [String]
//     (also checks UTF-8, which the ABI requires of every string), and
//     [Write] (fills memory the host allocated with the guest's
//     canonical_abi_realloc);
//   - sizes: [Size] for the byte size of n list elements (what realloc
//     and free are given), [Len32] for a host-side length as a guest
//     length.
//
// The package knows the encoding, not the functions: the layouts of
// particular calls (handle-http-request's 28-byte return area, the
// 16-byte expected results of key-value and spin-config, their tags) and
// calling canonical_abi_realloc and canonical_abi_free belong to package
// host, which writes every key-value and spin-config result through one
// function.
//
// Every function treats pointers and lengths as guest-controlled input:
// it bounds-checks with 64-bit arithmetic (so ptr+len cannot wrap around
// 32 bits) and returns an error matching [ErrOutOfBounds] or
// [ErrInvalidUTF8], wrapped with the offending pointer and length, instead
// of panicking; a hostile guest can fail only its own call. Slices
// returned by [Bytes] are capped at their length, so appending to one
// never writes into guest memory.
//
// The functions take the current view of linear memory and never keep it.
// A view is invalid after any call into the guest (including realloc),
// because the guest can grow its memory: fetch it again after each call.
// The package has no state; its functions are safe for concurrent use on
// distinct memory, and on the same memory as long as no call writes what
// another reads.
package abi
