//go:build !unix

package translate

import "os/exec"

// killGroup leaves cancellation to exec: on this system only the command
// itself is killed.
func killGroup(cmd *exec.Cmd) {}
