package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/profiles"
)

// Profile commands that need neither the daemon nor root.

func newValidateCmd(_ *globals) *cobra.Command {
	var sets []string
	cmd := &cobra.Command{
		Use:   "validate FILE|NAME [--set name=value]...",
		Short: "Check a profile (a file, or a shipped one by name) without running it",
		Long: "Loads the profile with its includes and variables and checks it. Prints\n" +
			"\"ok: PROFILE (N NFs, M networks)\", or every problem as FILE:LINE:COL: PATH: MESSAGE\n" +
			"(one per line) and exits 1. Shipped profiles: " + fmt.Sprint(profiles.Shipped()) + ".",
		Example: "  corebox validate demo\n  corebox validate profiles/lab.yaml --set sbi_subnet=10.99.0.0/24",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := keyValues("--set", sets)
			if err != nil {
				return err
			}
			p, err := profiles.Find(args[0], profiles.LoadOptions{Set: set})
			var problems profiles.ValidationErrors
			if errors.As(err, &problems) {
				for _, e := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), e.Error())
				}
				return &exitCode{code: 1}
			}
			if err != nil {
				return fmt.Errorf("validate %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %s (%d NFs, %d networks)\n", p.Name, len(p.NFs), len(p.Networks))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "set a variable of the profile, name=value (repeatable)")
	return cmd
}

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of profiles (for editors)",
		Example: "  corebox schema > corebox-profile.schema.json\n" +
			"  # then, first line of a profile: # yaml-language-server: $schema=corebox-profile.schema.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := profiles.Schema()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(s)
			return err
		},
	}
}
