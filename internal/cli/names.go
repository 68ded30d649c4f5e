package cli

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// renderError is err's message with the core's input and operation names
// (an *ops.InputError's "lead_id", "fields.Status", "salesforce_sync_lead")
// replaced by what the command line calls them: the command's flags and
// arguments, and the commands that run those operations.
func renderError(cmd *cobra.Command, err error) string {
	msg := err.Error()
	var ie *ops.InputError
	if !errors.As(err, &ie) {
		return msg
	}
	return strings.Replace(msg, ie.Error(), ie.Render(cliNames(cmd)), 1)
}

// cliNames names the core's inputs the way cmd takes them.
func cliNames(cmd *cobra.Command) ops.Names {
	return ops.Names{
		Field:     func(path string) string { return fieldName(cmd, path) },
		Operation: func(name string) string { return commandFor(cmd.Root(), name) },
	}
}

var useArg = regexp.MustCompile(`<[^<>]+>`)

// fieldName finds what the command line calls an input path, in order:
//   - an annotation "field:<path>" on the command;
//   - a flag of the same name in kebab case (last_name → --last-name);
//   - a key of a map input (fields.Status, data.Name) → the key, as written in Field=value;
//   - an argument of the command's usage line that names it (lead_id →
//     <lead-id|email>, record_id → <id>);
//   - else the path itself.
func fieldName(cmd *cobra.Command, path string) string {
	if v := cmd.Annotations["field:"+path]; v != "" {
		return v
	}
	flag := strings.ReplaceAll(path, "_", "-")
	if cmd.Flags().Lookup(flag) != nil {
		return "--" + flag
	}
	if _, key, ok := strings.Cut(path, "."); ok {
		return key
	}
	args := useArg.FindAllString(cmd.Use, -1)
	for _, want := range []string{flag, flag[strings.LastIndex(flag, "-")+1:]} {
		for _, a := range args {
			if slices.Contains(strings.FieldsFunc(strings.Trim(a, "<>"), func(r rune) bool { return r == '|' }), want) {
				return a
			}
		}
	}
	return path
}

// commandFor names the command that runs an operation, or the operation's
// own name when no command does.
func commandFor(root *cobra.Command, op string) string {
	var found string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if found != "" {
				return
			}
			if slices.Contains(strings.Split(sub.Annotations["ops"], ","), op) {
				found = "`" + sub.CommandPath() + "`"
				return
			}
			walk(sub)
		}
	}
	walk(root)
	if found == "" {
		return op
	}
	return found
}
