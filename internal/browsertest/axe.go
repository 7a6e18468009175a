package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeTags are the axe-core rule tags that Axe checks: WCAG 2.0 and 2.1, level
// A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeScriptPath is the place of axe-core inside the repository, after
// `npm ci`.
const axeScriptPath = "node_modules/axe-core/axe.min.js"

// Violation is one axe-core rule that the page breaks.
type Violation struct {
	ID          string          `json:"id"`     // rule id, such as "image-alt"
	Impact      string          `json:"impact"` // "minor", "moderate", "serious" or "critical"
	Help        string          `json:"help"`
	HelpURL     string          `json:"helpUrl"`
	Description string          `json:"description"`
	Nodes       []ViolationNode `json:"nodes"`
}

// ViolationNode is one element that breaks a rule.
type ViolationNode struct {
	// Target holds the CSS selectors of the element. It has more than one
	// entry when the element is inside an iframe; a selector inside a
	// shadow root is written as "host >>> inner".
	Target         []string `json:"target"`
	HTML           string   `json:"html"`
	FailureSummary string   `json:"failureSummary"`
}

var axeScript struct {
	once sync.Once
	src  string
	path string
	err  error
}

// loadAxe reads axe.min.js once per test binary.
func loadAxe() (src, path string, err error) {
	axeScript.once.Do(func() {
		root, err := repoRoot()
		if err != nil {
			axeScript.err = err
			return
		}
		axeScript.path = filepath.Join(root, filepath.FromSlash(axeScriptPath))
		b, err := os.ReadFile(axeScript.path)
		if err != nil {
			axeScript.err = err
			return
		}
		axeScript.src = string(b)
	})
	return axeScript.src, axeScript.path, axeScript.err
}

// repoRoot walks up from the working directory to the directory that holds
// go.mod. Tests run in the directory of their package.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// axeRunScript runs axe-core on the whole document and keeps only what a
// report needs. The tags come from AxeTags.
const axeRunScript = `axe.run(document, {
	runOnly: {type: 'tag', values: %s},
	resultTypes: ['violations'],
}).then(r => r.violations.map(v => ({
	id: v.id,
	impact: v.impact || '',
	help: v.help,
	helpUrl: v.helpUrl,
	description: v.description,
	nodes: v.nodes.map(n => ({
		target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : String(s)),
		html: n.html,
		failureSummary: n.failureSummary || '',
	})),
})))`

// Axe runs axe-core on the page that the tab ctx shows, with the rules of
// AxeTags (WCAG 2.1 A and AA), and returns the violations.
//
// It reads node_modules/axe-core/axe.min.js from the repository root. When
// that file is missing, Axe skips the test, or fails it when
// TILLIT_REQUIRE_BROWSER is set.
func (b *Browser) Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	src, path, err := loadAxe()
	if err != nil {
		if path == "" {
			path = axeScriptPath
		}
		unavailable(t, fmt.Sprintf("axe-core not found at %s (run `npm ci` in the repository root): %v", path, err))
	}

	// Inject axe-core once per document. A navigation makes a new
	// document, which needs it again.
	injected := Get(t, ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object' && typeof window.axe.run === 'function'`))
	if !injected {
		Run(t, ctx, chromedp.Evaluate[chromedp.Void](src))
	}

	tags := `['` + strings.Join(AxeTags, `','`) + `']`
	return Get(t, ctx, chromedp.Evaluate[[]Violation](fmt.Sprintf(axeRunScript, tags), chromedp.EvalAwaitPromise))
}

// AssertNoAxeViolations runs Axe on the page that the tab ctx shows, and
// reports every violation with t.Errorf. The label names the page in the
// report, such as "sign-in page (Ukrainian)".
func (b *Browser) AssertNoAxeViolations(t testing.TB, ctx context.Context, label string) {
	t.Helper()
	violations := b.Axe(t, ctx)
	if len(violations) == 0 {
		return
	}
	t.Errorf("%s: %d accessibility violation(s) (WCAG 2.1 A/AA, axe-core)\n%s\n%s",
		label, len(violations), FormatViolations(violations), PageState(ctx))
}

// FormatViolations writes the violations as a readable list, one rule after
// another, with the elements that break it.
func FormatViolations(violations []Violation) string {
	var sb strings.Builder
	for i, v := range violations {
		impact := v.Impact
		if impact == "" {
			impact = "unknown impact"
		}
		fmt.Fprintf(&sb, "%d. [%s] %s: %s\n", i+1, impact, v.ID, v.Help)
		if v.HelpURL != "" {
			fmt.Fprintf(&sb, "   see %s\n", v.HelpURL)
		}
		for _, n := range v.Nodes {
			fmt.Fprintf(&sb, "   - element %s\n", strings.Join(n.Target, " | "))
			fmt.Fprintf(&sb, "     html: %s\n", head(n.HTML, 300))
			if s := strings.TrimSpace(n.FailureSummary); s != "" {
				for line := range strings.SplitSeq(s, "\n") {
					fmt.Fprintf(&sb, "     %s\n", strings.TrimSpace(line))
				}
			}
		}
	}
	return strings.TrimRight(sb.String(), "\n")
}
