//go:build unix

package translate

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd's cancellation kill its whole process group:
// apertium is a shell pipeline, and killing only the shell would leave
// the other stages running.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
