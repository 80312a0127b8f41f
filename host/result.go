package host

// The one result-writing path of the key-value and spin-config imports:
// every one of them returns an expected<T, error> through a 16-byte
// return area passed by the guest (old wit-bindgen canonical ABI,
// v1.5.1:wit/ephemeral/key-value.wit and spin-config.wit).

// resultSize is the size of every key-value and spin-config return area.
const resultSize = 16

// writeResult writes an expected result into the return area at ret: the
// tag (0 ok, 1 err) at +0; then, if hasByte, the byte b at +4 (an error's
// case, or a bool); then up to two u32 words, from +4, or from +8 after
// the byte. Bytes it does not name are left as the guest had them.
func writeResult(g guest, ret uint32, tag uint8, hasByte bool, b uint8, words ...uint32) error {
	area, err := retArea(g, ret, resultSize)
	if err != nil {
		return err
	}
	area[0] = tag
	off := 4
	if hasByte {
		area[4] = b
		off = 8
	}
	for k, w := range words {
		put32(area, off+4*k, w)
	}
	return nil
}

// writeOK writes ok(words...) (ok(()) without words).
func writeOK(g guest, ret uint32, words ...uint32) error {
	return writeResult(g, ret, 0, false, 0, words...)
}

// writeOKBool writes ok(v) for a bool.
func writeOKBool(g guest, ret uint32, v bool) error {
	var b uint8
	if v {
		b = 1
	}
	return writeResult(g, ret, 0, true, b)
}

// writeErr writes err(kase), with msg lowered into the guest as the
// case's string payload when withMsg is set.
func writeErr(g guest, ret uint32, kase uint8, msg string, withMsg bool) error {
	if !withMsg {
		return writeResult(g, ret, 1, true, kase)
	}
	ptr, n, err := lowerBytes(g, 1, []byte(msg))
	if err != nil {
		return err
	}
	return writeResult(g, ret, 1, true, kase, ptr, n)
}
