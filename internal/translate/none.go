package translate

import (
	"context"
	"fmt"
)

// None offers no pair: with it alone every reader gets the original text
// and the "not translated — ask for help" action. It is the default when
// no translation server is configured.
type None struct{}

// Name is "none".
func (None) Name() string { return "none" }

// Supports is always false.
func (None) Supports(source, target string) bool { return false }

// Translate always fails with ErrUnsupported.
func (None) Translate(ctx context.Context, text, source, target string) (string, error) {
	return "", fmt.Errorf("none %s→%s: %w", source, target, ErrUnsupported)
}
