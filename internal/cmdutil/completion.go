package cmdutil

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/auth"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// completionTimeout bounds what a completion may wait for Salesforce: a
// shell that hangs on Tab is worse than one that offers nothing.
const completionTimeout = 3 * time.Second

// CompleteOrgs completes the aliases of the stored logins. Like every
// completion here it never fails: a problem means no candidates, and the
// shell is told not to offer file names instead.
func CompleteOrgs(f *Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		logins, err := auth.Logins(cfg)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, l := range logins {
			if strings.HasPrefix(l.Alias, toComplete) {
				out = append(out, cobra.CompletionWithDesc(l.Alias, l.Username+" "+l.InstanceURL))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteSObjects completes an object name as the first argument, from
// the org's describeGlobal (cached per login on disk).
func CompleteSObjects(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, err := withCompletionClient(cmd, f, func(ctx context.Context, c *salesforce.Client, cache *ops.OrgCache) ([]string, error) {
			return ops.SObjectNames(ctx, c, cache)
		})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return matching(names, "", toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteFieldList completes a comma-separated list of the fields of the
// object named by the first argument: "Name,Acc<Tab>" offers
// "Name,AccountId", "Name,Account." and so on.
func CompleteFieldList(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, err := withCompletionClient(cmd, f, func(ctx context.Context, c *salesforce.Client, cache *ops.OrgCache) ([]string, error) {
			return ops.FieldNames(ctx, c, cache, args[0])
		})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		i := strings.LastIndexByte(toComplete, ',')
		done, last := toComplete[:i+1], toComplete[i+1:]
		// Fields already listed are not offered again.
		listed := map[string]bool{}
		for _, d := range strings.Split(done, ",") {
			listed[strings.ToLower(d)] = true
		}
		var left []string
		for _, n := range names {
			if !listed[strings.ToLower(n)] {
				left = append(left, n)
			}
		}
		// No space after a candidate: the user may go on with a comma.
		return matching(left, done, last), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// CompleteList completes a comma-separated list of fixed values.
func CompleteList(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		i := strings.LastIndexByte(toComplete, ',')
		done, last := toComplete[:i+1], toComplete[i+1:]
		var left []string
		for _, v := range values {
			if !strings.Contains(","+done, ","+v+",") {
				left = append(left, v)
			}
		}
		return matching(left, done, last), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// matching returns prefix+name for the names that start with last (without
// regard to case, as Salesforce names are).
func matching(names []string, prefix, last string) []cobra.Completion {
	var out []cobra.Completion
	low := strings.ToLower(last)
	for _, n := range names {
		if strings.HasPrefix(strings.ToLower(n), low) {
			out = append(out, prefix+n)
		}
	}
	return out
}

// withCompletionClient runs fn with the command's Salesforce client and its
// login's cache, bounded by completionTimeout, printing nothing.
func withCompletionClient(cmd *cobra.Command, f *Factory, fn func(context.Context, *salesforce.Client, *ops.OrgCache) ([]string, error)) ([]string, error) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	if f.Credentials == nil {
		return nil, NoLoginError("")
	}
	creds, err := f.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	c, err := ClientFor(ctx, f, creds, nil)
	if err != nil {
		return nil, err
	}
	var cache *ops.OrgCache
	if f.OrgCache != nil {
		cache = f.OrgCache(creds)
	}
	return fn(ctx, c, cache)
}
