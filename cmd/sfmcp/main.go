// Command sfmcp is a Salesforce CLI and MCP server.
package main

import (
	"os"

	"github.com/sfmcp/sfmcp/internal/cli"
)

func main() { os.Exit(int(cli.Main())) }
