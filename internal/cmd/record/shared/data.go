// Package shared holds what the `sfmcp record` verbs have in common: reading
// field values from Field=value arguments and --data, and printing results.
package shared

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// DataHelp is the help text every verb that writes fields shares.
const DataHelp = `Field values come as arguments, --data, or both (arguments win):

  Field=value    a value for the field. Its type comes from the object's
                 describe: number, currency and percent fields get numbers,
                 checkboxes true/false, anything else the text as given.
                 Field= (nothing after =) clears the field (null).
  Field:=json    raw JSON, sent as is: Amount:=12.5 Flag:=true Note:=null
                 Name:='"007"'
  --data JSON    a JSON object of field values; @file reads it from a
                 file, - from standard input.`

// Assignment is one Field=value or Field:=json argument.
type Assignment struct {
	Field string
	Text  string // the text after = or :=
	Raw   bool   // := (Text is JSON)
}

var fieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// ParseAssignments reads Field=value and Field:=json arguments.
func ParseAssignments(args []string) ([]Assignment, error) {
	out := make([]Assignment, 0, len(args))
	for _, a := range args {
		i := strings.IndexByte(a, '=')
		if i <= 0 {
			return nil, cmdutil.FlagErrorf("%q: want Field=value or Field:=json", a)
		}
		as := Assignment{Field: a[:i], Text: a[i+1:]}
		if strings.HasSuffix(as.Field, ":") {
			as.Field, as.Raw = strings.TrimSuffix(as.Field, ":"), true
			if !json.Valid([]byte(as.Text)) {
				return nil, cmdutil.FlagErrorf("%s:=%s: not valid JSON (quote text as '\"text\"', or use %s=text)", as.Field, as.Text, as.Field)
			}
		}
		if !fieldName.MatchString(as.Field) {
			return nil, cmdutil.FlagErrorf("%q is not a field API name", as.Field)
		}
		out = append(out, as)
	}
	return out, nil
}

// ParseValues reads a writing verb's field values: the Field=value
// arguments and --data (dataSpec, read from stdin when "-"). When required,
// giving neither is a usage error.
func ParseValues(args []string, dataSpec string, stdin io.Reader, required bool) ([]Assignment, map[string]any, error) {
	assigns, err := ParseAssignments(args)
	if err != nil {
		return nil, nil, err
	}
	data, err := ReadData(dataSpec, stdin)
	if err != nil {
		return nil, nil, err
	}
	if required && len(assigns) == 0 && len(data) == 0 {
		return nil, nil, cmdutil.FlagErrorf("give field values as Field=value arguments or --data")
	}
	return assigns, data, nil
}

// AddDataFlag adds --data (-d), the JSON object of field values, to cmd.
func AddDataFlag(cmd *cobra.Command, spec *string) {
	cmd.Flags().StringVarP(spec, "data", "d", "", "Field values as a JSON object, @file or - (stdin)")
}

// ReadData reads --data: a JSON object given inline, @file, or - for stdin.
// "" gives an empty map.
func ReadData(spec string, stdin io.Reader) (map[string]any, error) {
	if spec == "" {
		return map[string]any{}, nil
	}
	var b []byte
	var err error
	switch {
	case spec == "-":
		b, err = io.ReadAll(io.LimitReader(stdin, 50<<20))
	case strings.HasPrefix(spec, "@"):
		b, err = os.ReadFile(spec[1:])
	default:
		b = []byte(spec)
	}
	if err != nil {
		return nil, cmdutil.FlagErrorf("--data: %v", err)
	}
	data, err := decodeObject(b)
	if err != nil {
		return nil, cmdutil.FlagErrorf("--data: %v", err)
	}
	return data, nil
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep 18-digit numbers exact
	var data map[string]any
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("want a JSON object of field values: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("want one JSON object, found more")
	}
	if data == nil {
		return nil, fmt.Errorf("want a JSON object of field values, not null")
	}
	delete(data, "attributes") // a record copied from `record get --json` carries them
	return data, nil
}

func rawValue(text string) any {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v) // validated in ParseAssignments
	return v
}

// Describer is the part of the client BuildData needs.
type Describer = ops.SObjectDescriber

// BuildData merges data (from --data) with the assignments, typing each
// Field=value by the object's describe (ops.FieldTyper). The describe is
// fetched only when some value looks like a number or a boolean.
func BuildData(ctx context.Context, d Describer, sobject string, data map[string]any, assigns []Assignment) (map[string]any, error) {
	if data == nil {
		data = map[string]any{}
	}
	typer := ops.NewFieldTyper(d, sobject)
	for _, a := range assigns {
		if a.Raw {
			data[a.Field] = rawValue(a.Text)
			continue
		}
		v, err := typer.Value(ctx, a.Field, a.Text)
		if err != nil {
			var ie *ops.InputError
			if errors.As(err, &ie) {
				return nil, cmdutil.FlagErrorWrap(err)
			}
			return nil, err
		}
		data[a.Field] = v
	}
	return data, nil
}
