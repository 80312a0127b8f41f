package testwasm

// Alloc is WAT module fields defining $alloc (param $align i32) (param
// $size i32) (result i32), a bump allocator over memory 0 that never frees.
// The module must define the memory and a global $heap (mut i32) holding
// the first free address, for example (global $heap (mut i32) (i32.const
// 1024)). Each block starts at the next multiple of align (a power of two);
// memory grows when a block does not fit, and $alloc traps (unreachable)
// when it cannot grow.
const Alloc = `
  (func $alloc (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and
      (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq
              (memory.grow (i32.add (i32.shr_u
                (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
                (i32.const 16)) (i32.const 1)))
              (i32.const -1))
          (then unreachable))))
    (local.get $p))
`

// Realloc is Alloc plus the canonical ABI's realloc, named $realloc and
// exported as canonical_abi_realloc: realloc(old, oldSize, align, size)
// returns a fresh block from $alloc and ignores old (it never copies), which
// is all a host that only allocates (Spin 1.x) asks of it. Like Alloc, it
// needs the module's memory and global $heap.
const Realloc = Alloc + `
  (func $realloc (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (call $alloc (local.get 2) (local.get 3)))
`
