package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

const cliDoc = "docs/cli.md"

// TestCLIDocCoversHelp keeps docs/cli.md true to the binary: every command `reporter --help`
// lists has a section in the doc ("## `reporter NAME`", or "## `reporter NAME SUB`" for a command
// whose --help names a subcommand), and every flag the command's --help lists appears in that
// section as `--flag`. It reads only the --help text run() prints, so it holds whatever way the
// flags are declared.
func TestCLIDocCoversHelp(t *testing.T) {
	raw, err := os.ReadFile("../../" + cliDoc)
	if err != nil {
		t.Fatal(err)
	}
	sections := cliSections(string(raw))

	code, stdout, stderr := call(t, "", "--help")
	if code != exitOK {
		t.Fatalf("reporter --help: exit %d\n%s%s", code, stdout, stderr)
	}
	names := helpCommands(stdout)
	if len(names) < 10 {
		t.Fatalf("reporter --help lists %d commands (%v): the test no longer reads its command list\n%s", len(names), names, stdout)
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			args := []string{name}
			code, help := commandHelp(t, args)
			// A command with subcommands (auditmanager push, catalog refresh) names the
			// subcommand in its usage line (auditmanager --help is a usage error): document and
			// check that one.
			if !strings.Contains(help, "Flags:") {
				if m := regexp.MustCompile(`reporter ` + regexp.QuoteMeta(name) + ` ([a-z-]+)`).FindStringSubmatch(help); m != nil {
					args = append(args, m[1])
					code, help = commandHelp(t, args)
				}
			}
			if code != exitOK {
				t.Fatalf("reporter %s --help: exit %d\n%s", strings.Join(args, " "), code, help)
			}
			title := "reporter " + strings.Join(args, " ")
			section, ok := sections[title]
			if !ok {
				t.Fatalf("%s has no section \"## `%s`\" in %s", title, title, cliDoc)
			}
			flags := flagLine.FindAllStringSubmatch(help, -1)
			if name != "version" && len(flags) == 0 {
				t.Fatalf("%s --help lists no flags; the test no longer reads them:\n%s", title, help)
			}
			for _, f := range flags {
				if !regexp.MustCompile("`--" + regexp.QuoteMeta(f[1]) + "[ `]").MatchString(section) {
					t.Errorf("%s --help lists the flag --%s, but its section in %s does not (want `--%s` there)", title, f[1], cliDoc, f[1])
				}
			}
		})
	}
}

// commandHelp returns the exit code and what `reporter ARGS... --help` prints (the flag package
// writes a command's help to stderr).
func commandHelp(t *testing.T, args []string) (int, string) {
	t.Helper()
	code, stdout, stderr := call(t, "", append(args, "--help")...)
	return code, stdout + stderr
}

// helpCommands reads the command names from the "Commands:" block of reporter --help.
func helpCommands(help string) []string {
	_, block, _ := strings.Cut(help, "Commands:\n")
	var names []string
	for line := range strings.SplitSeq(block, "\n") {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		names = append(names, strings.Fields(line)[0])
	}
	return names
}

// cliSections maps each "## `TITLE`" heading of the doc to the text up to the next "## ".
func cliSections(doc string) map[string]string {
	sections := map[string]string{}
	parts := strings.Split(doc, "\n## ")
	for _, p := range parts[1:] {
		head, body, _ := strings.Cut(p, "\n")
		sections[strings.Trim(head, "`")] = body
	}
	return sections
}

// TestREADMEIsAFrontDoor keeps the README short, with `make demo` and `make test` as its first two
// commands (what .ci/run and a newcomer run), and links to each page of the manual that exists.
func TestREADMEIsAFrontDoor(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	if n := strings.Count(readme, "\n"); n > 200 {
		t.Errorf("README.md has %d lines; at most 200: move reference material to docs/", n)
	}
	_, block, _ := strings.Cut(readme, "```sh\n")
	var cmds []string
	for line := range strings.SplitSeq(block, "\n") {
		if strings.HasPrefix(line, "```") || len(cmds) == 2 {
			break
		}
		cmd, _, _ := strings.Cut(line, "#")
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	if len(cmds) != 2 || cmds[0] != "make demo" || cmds[1] != "make test" {
		t.Errorf("README.md's first commands are %q, want make demo then make test", cmds)
	}
	for _, page := range []string{"cli", "configuration", "deploy", "methodology", "formats", "operations"} {
		link := "(docs/" + page + ".md)"
		if !strings.Contains(readme, link) {
			t.Errorf("README.md does not link docs/%s.md", page)
		}
		if _, err := os.Stat("../../docs/" + page + ".md"); err != nil {
			t.Errorf("README.md's manual page: %v", err)
		}
	}
}
