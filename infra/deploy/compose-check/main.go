// Command compose-check loads a compose file with the Compose Specification's
// reference loader (github.com/compose-spec/compose-go/v2) and prints the
// normalized project as YAML.
//
// Everything the loader checks is on: the JSON schema (unknown keys, bad
// values), normalization and the consistency checks (references to services,
// networks, volumes). Interpolation sees an empty environment and no .env file,
// so every ${VAR:-default} takes its default whatever the caller's shell holds.
// Every profile is enabled, so services behind a profile are checked as well.
//
//	compose-check FILE
//
// Exit 0: the project on stdout. Exit 1: the loader's error on stderr, one line.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check FILE")
		os.Exit(2)
	}
	out, err := load(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "compose-check: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
	os.Stdout.Write(out)
}

func load(file string) ([]byte, error) {
	options, err := cli.NewProjectOptions(
		[]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(false),
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	return project.MarshalYAML()
}
