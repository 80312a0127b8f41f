//go:build !unix

package host

import "io/fs"

// checkCacheDirOwner is a no-op where file ownership is not a uid.
func checkCacheDirOwner(string, fs.FileInfo) error { return nil }
