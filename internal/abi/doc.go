// Package abi decodes and encodes the values that cross between a Spin 1.x
// core module and its host, laid out in the guest's linear memory as the old
// wit-bindgen ("ephemeral") canonical ABI does (SPIN-COMPAT.md §3.1):
// 32-bit little-endian pointers and lengths, one-byte tags, return areas
// with each field at its own alignment.
//
// What it reads and writes:
//
//   - string and list<u8>, passed as a (ptr, len) pair: [Bytes] (in place,
//     for borrowed import arguments), [CopyBytes] (for results the host keeps
//     after freeing them in the guest), [String] (also checks UTF-8, which the
//     ABI requires of every string), and [Write] (fills memory the host
//     allocated with the guest's canonical_abi_realloc);
//   - list<string>, an array of 8-byte (ptr, len) elements: [Pairs], with
//     [Size] for the byte size of n elements (what realloc and free are given);
//   - the scalars of return areas and records: u8 tags and bools ([Uint8],
//     [PutUint8]), the u16 HTTP status ([Uint16]), u32 pointers, lengths and
//     store handles ([Uint32], [PutUint32]);
//   - option, expected and variant discriminants: [Tag] rejects one outside
//     its type's cases, as wit-bindgen's "invalid variant" does;
//   - host-side lengths as guest lengths: [Len32].
//
// The package knows the encoding, not the functions: the layouts of
// particular calls (handle-http-request's 28-byte return area, key-value's
// 16-byte expected results) and calling canonical_abi_realloc and
// canonical_abi_free belong to package host.
//
// Every function treats pointers, lengths and tags as guest-controlled
// input: it bounds-checks with 64-bit arithmetic (so ptr+len cannot wrap
// around 32 bits) and returns an error matching [ErrOutOfBounds],
// [ErrInvalidUTF8] or [ErrInvalidTag], wrapped with the offending pointer
// and length, instead of panicking; a hostile guest can fail only its own
// call. Slices returned by [Bytes] are capped at their length, so appending
// to one never writes into guest memory.
//
// The functions take the current view of linear memory and never keep it.
// A view is invalid after any call into the guest (including realloc),
// because the guest can grow its memory: fetch it again after each call.
// The package has no state; its functions are safe for concurrent use on
// distinct memory, and on the same memory as long as no call writes what
// another reads.
package abi
