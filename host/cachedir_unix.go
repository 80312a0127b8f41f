//go:build unix

package host

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkCacheDirOwner refuses a cache directory owned by another user (who
// could write entries into it), unless that user is root.
func checkCacheDirOwner(dir string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); int(st.Uid) != uid && st.Uid != 0 {
		return fmt.Errorf("%s is owned by user %d, not by this process's user %d", dir, st.Uid, uid)
	}
	return nil
}
